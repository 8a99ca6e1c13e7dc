package faultproxy

import (
	"math/rand/v2"
	"time"
)

// Faults are the fault rates applied to one direction of traffic. The zero
// value forwards every datagram untouched and at once. Probabilities are in
// [0, 1]; values outside are clamped.
type Faults struct {
	Drop      float64       // probability a datagram is dropped
	Duplicate float64       // probability a datagram is sent twice
	Reorder   float64       // probability a datagram is held back until the next one of its stream has gone
	Flip      float64       // probability one byte of a datagram is XORed with a random non-zero mask
	Delay     time.Duration // fixed delay added to every datagram
	Jitter    time.Duration // random extra delay in [0, Jitter) (reorders datagrams by itself)
}

// Direction names one direction of a flow.
type Direction int

// Directions.
const (
	Up   Direction = 0 // client -> upstream (daemon -> relay)
	Down Direction = 1 // upstream -> client (relay -> daemon)
)

func (d Direction) String() string {
	if d == Up {
		return "up"
	}
	return "down"
}

// Decision is what happens to one datagram.
type Decision struct {
	Drop      bool
	Duplicate bool
	Hold      bool          // held back until the stream's next datagram has gone (or HoldMax passed)
	FlipAt    int           // index of the flipped byte; -1 when none
	FlipMask  byte          // non-zero XOR mask when FlipAt >= 0
	Delay     time.Duration // Faults.Delay plus the jitter drawn
}

// decider draws the decisions of one (flow, direction) stream. Every call
// draws the same number of values whatever the rates, so changing one rate
// does not shift the others' pattern.
type decider struct{ rng *rand.Rand }

func newDecider(seed, flow uint64, dir Direction) *decider {
	return &decider{rng: rand.New(rand.NewPCG(seed, flow<<1|uint64(dir)))}
}

func (d *decider) decide(f Faults, size int) Decision {
	drop, dup, hold, flip := d.rng.Float64(), d.rng.Float64(), d.rng.Float64(), d.rng.Float64()
	pos, mask, jit := d.rng.Uint64(), byte(d.rng.UintN(255)+1), d.rng.Float64()
	dec := Decision{
		Drop:      drop < clamp(f.Drop),
		Duplicate: dup < clamp(f.Duplicate),
		Hold:      hold < clamp(f.Reorder),
		FlipAt:    -1,
		Delay:     max(f.Delay, 0) + time.Duration(jit*float64(max(f.Jitter, 0))),
	}
	if flip < clamp(f.Flip) && size > 0 {
		dec.FlipAt, dec.FlipMask = int(pos%uint64(size)), mask
	}
	return dec
}

func clamp(p float64) float64 {
	return min(max(p, 0), 1)
}

// apply returns the datagram as the decision changes it (a copy when a byte
// is flipped; b itself otherwise).
func (dec Decision) apply(b []byte) []byte {
	if dec.FlipAt < 0 || dec.FlipAt >= len(b) {
		return b
	}
	c := append([]byte(nil), b...)
	c[dec.FlipAt] ^= dec.FlipMask
	return c
}
