package relay

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/securep2p/securep2p/wire"
)

// Argon2id parameters for new hashes: OWASP's minimum (19 MiB, t=2, p=1).
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonSaltLen   = 16
	argonKeyLen    = 32
	argonVersion   = argon2.Version // 0x13
)

// Bounds on stored parameters, so a tampered record cannot make the relay
// spend unbounded memory or time.
const (
	maxArgonMemoryKiB = 1 << 20 // 1 GiB
	maxArgonTime      = 16
	maxArgonThreads   = 16
)

var errHashRecord = errors.New("relay: invalid password hash record")

// hashRecord is the stored password hash: the parameters it was made with,
// the salt and the tag. Encoded with wire.Encode.
type hashRecord struct {
	Version   uint32 `cbor:"1,keyasint"` // argon2.Version
	MemoryKiB uint32 `cbor:"2,keyasint"`
	Time      uint32 `cbor:"3,keyasint"`
	Threads   uint8  `cbor:"4,keyasint"`
	Salt      []byte `cbor:"5,keyasint"`
	Tag       []byte `cbor:"6,keyasint"`
}

func parseHashRecord(b []byte) (hashRecord, error) {
	var r hashRecord
	if err := wire.Decode(b, &r); err != nil {
		return r, errHashRecord
	}
	if r.Version != argonVersion || r.MemoryKiB < 8*uint32(r.Threads) || r.MemoryKiB > maxArgonMemoryKiB ||
		r.Time == 0 || r.Time > maxArgonTime || r.Threads == 0 || r.Threads > maxArgonThreads ||
		len(r.Salt) < 8 || len(r.Salt) > 64 || len(r.Tag) < 16 || len(r.Tag) > 64 {
		return r, errHashRecord
	}
	return r, nil
}

// hasher hashes and verifies passwords with Argon2id. A semaphore caps the
// hashes running at once (each holds MemoryKiB of memory); waiters queue
// until their context ends.
type hasher struct {
	sem     chan struct{}
	waiting atomic.Int64 // callers waiting for a slot (tests)
	dummy   []byte       // a valid record of a random password, for unknown users
	observe func(time.Duration)
}

func newHasher(concurrent int, observe func(time.Duration)) (*hasher, error) {
	h := &hasher{sem: make(chan struct{}, concurrent), observe: observe}
	pw := make([]byte, 32)
	rand.Read(pw)
	dummy, err := h.hash(context.Background(), pw)
	if err != nil {
		return nil, err
	}
	h.dummy = dummy
	return h, nil
}

func (h *hasher) acquire(ctx context.Context) (func(), error) {
	start := time.Now()
	h.waiting.Add(1)
	defer h.waiting.Add(-1)
	select {
	case h.sem <- struct{}{}:
		return func() {
			<-h.sem
			if h.observe != nil {
				h.observe(time.Since(start))
			}
		}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// hash returns a new record for password with a fresh random salt.
func (h *hasher) hash(ctx context.Context, password []byte) ([]byte, error) {
	r := hashRecord{Version: argonVersion, MemoryKiB: argonMemoryKiB, Time: argonTime, Threads: argonThreads,
		Salt: make([]byte, argonSaltLen)}
	rand.Read(r.Salt)
	release, err := h.acquire(ctx)
	if err != nil {
		return nil, err
	}
	r.Tag = argon2.IDKey(password, r.Salt, r.Time, r.MemoryKiB, r.Threads, argonKeyLen)
	release()
	return wire.Encode(r)
}

// verify reports whether password matches the stored record, comparing
// in constant time.
func (h *hasher) verify(ctx context.Context, stored, password []byte) (bool, error) {
	r, err := parseHashRecord(stored)
	if err != nil {
		return false, err
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return false, err
	}
	tag := argon2.IDKey(password, r.Salt, r.Time, r.MemoryKiB, r.Threads, uint32(len(r.Tag)))
	release()
	return subtle.ConstantTimeCompare(tag, r.Tag) == 1, nil
}

// burn spends the same work as a verification against a real account, so an
// unknown username costs what a wrong password costs. It returns an error
// only when ctx ended before a slot was free (nothing was hashed).
func (h *hasher) burn(ctx context.Context, password []byte) error {
	_, err := h.verify(ctx, h.dummy, password)
	return err
}
