package faultproxy

import (
	"testing"
	"time"
)

func decisions(seed, flow uint64, dir Direction, f Faults, n int) []Decision {
	d := newDecider(seed, flow, dir)
	out := make([]Decision, n)
	for i := range out {
		out[i] = d.decide(f, 100)
	}
	return out
}

var allFaults = Faults{Drop: 0.1, Duplicate: 0.1, Reorder: 0.1, Flip: 0.1, Delay: time.Millisecond, Jitter: time.Millisecond}

func TestDecideDeterministicForSeed(t *testing.T) {
	a := decisions(99, 3, Down, allFaults, 1000)
	b := decisions(99, 3, Down, allFaults, 1000)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("decision %d differs for the same seed: %+v vs %+v", i, a[i], b[i])
		}
	}
}

func TestDecideDiffersAcrossSeedsFlowsAndDirections(t *testing.T) {
	base := decisions(99, 3, Down, allFaults, 200)
	for name, other := range map[string][]Decision{
		"seed":      decisions(100, 3, Down, allFaults, 200),
		"flow":      decisions(99, 4, Down, allFaults, 200),
		"direction": decisions(99, 3, Up, allFaults, 200),
	} {
		same := true
		for i := range base {
			same = same && base[i] == other[i]
		}
		if same {
			t.Errorf("another %s gives the same decisions", name)
		}
	}
}

func TestDecideRatesMatch(t *testing.T) {
	const n = 20000
	var drop, dup, hold, flip int
	for _, d := range decisions(5, 0, Up, allFaults, n) {
		drop += b2i(d.Drop)
		dup += b2i(d.Duplicate)
		hold += b2i(d.Hold)
		flip += b2i(d.FlipAt >= 0)
		if d.Delay < time.Millisecond || d.Delay >= 2*time.Millisecond {
			t.Fatalf("delay %v outside [1ms, 2ms)", d.Delay)
		}
		if d.FlipAt >= 0 && (d.FlipAt >= 100 || d.FlipMask == 0) {
			t.Fatalf("flip at %d mask %#x", d.FlipAt, d.FlipMask)
		}
	}
	for name, c := range map[string]int{"drop": drop, "duplicate": dup, "hold": hold, "flip": flip} {
		if c < n/10*9/10 || c > n/10*11/10 {
			t.Errorf("%s: %d of %d, want about 10%%", name, c, n)
		}
	}
}

func TestDecideZeroFaultsDoNothing(t *testing.T) {
	for i, d := range decisions(8, 0, Up, Faults{}, 1000) {
		if d != (Decision{FlipAt: -1}) {
			t.Fatalf("decision %d = %+v with no faults", i, d)
		}
	}
}

func TestDecideRatesAreIndependent(t *testing.T) {
	a := decisions(11, 0, Up, Faults{Flip: 0.3}, 500)
	b := decisions(11, 0, Up, Faults{Flip: 0.3, Drop: 0.5}, 500)
	for i := range a {
		if a[i].FlipAt != b[i].FlipAt {
			t.Fatalf("changing Drop moved flip %d", i)
		}
	}
}

func TestDecideClampsProbabilities(t *testing.T) {
	for i, d := range decisions(1, 0, Up, Faults{Drop: 7, Flip: -3}, 100) {
		if !d.Drop || d.FlipAt >= 0 {
			t.Fatalf("decision %d = %+v: want drop always, flip never", i, d)
		}
	}
}

func TestApplyFlipsCopy(t *testing.T) {
	b := []byte{1, 2, 3}
	got := Decision{FlipAt: 1, FlipMask: 0xff}.apply(b)
	if got[1] != 2^0xff || b[1] != 2 {
		t.Fatalf("apply = %v, original now %v", got, b)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
