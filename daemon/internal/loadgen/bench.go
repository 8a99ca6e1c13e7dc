package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/securep2p/securep2p/wire"
)

// bench is what one run's users share.
type bench struct {
	o      *options
	rl     *relayHandle
	c      counters
	text   string // the --size text body (its first byte is replaced by a marker)
	prefix string // username prefix, unique per run
	idBase [8]byte
	idSeq  atomic.Uint64
}

func newBench(o *options, rl *relayHandle) *bench {
	b := &bench{o: o, rl: rl, text: strings.Repeat("x", o.size)}
	_, _ = rand.Read(b.idBase[:])
	b.prefix = "lg" + hex.EncodeToString(b.idBase[:3]) // 8 characters
	return b
}

// username is the i-th account name of role r ("a", "b", "s", "r", "i").
func (b *bench) username(role string, i int) string {
	return fmt.Sprintf("%s%s%d", b.prefix, role, i)
}

// nextID is a fresh 16-byte id: the run's random half and a counter.
func (b *bench) nextID() []byte {
	id := make([]byte, wire.IDSize)
	copy(id, b.idBase[:])
	binary.BigEndian.PutUint64(id[8:], b.idSeq.Add(1))
	return id
}

// nodes is the number of relay nodes the users are spread over.
func (b *bench) nodes() int { return len(b.rl.nodes) }

func (b *bench) countMsg() {
	if b.c.measure.Load() {
		b.c.msgs.Add(1)
	}
}

// startUsers connects and authenticates users, o.parallel at a time.
// Failures are counted; it returns the users that are up.
func (b *bench) startUsers(ctx context.Context, users []*user) []*user {
	ok := make([]bool, len(users))
	forEach(ctx, len(users), b.o.parallel, func(i int) {
		u := users[i]
		u.start(ctx, b.rl.dial(u.node), b.rl.key)
		if err := u.waitUp(ctx, b.o.opTimeout); err != nil {
			b.c.fail(err)
			return
		}
		ok[i] = true
	})
	var up []*user
	for i, u := range users {
		if ok[i] {
			up = append(up, u)
		}
	}
	return up
}

// stopUsers stops every started user's link, in parallel.
func stopUsers(users []*user) {
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Go(u.stop)
	}
	wg.Wait()
}

// forEach runs fn(0..n-1) with at most par running at once, stopping
// early (without calling fn again) when ctx ends.
func forEach(ctx context.Context, n, par int, fn func(i int)) {
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(i)
		})
	}
	wg.Wait()
}

// selfCPU is this process's CPU time so far (the simulated users' share).
func selfCPU() time.Duration {
	st, err := readProcStats(os.Getpid())
	if err != nil {
		return 0
	}
	return st.cpu
}

// relayCPU is our relay's CPU time so far (0 when not ours).
func (b *bench) relayCPU() time.Duration {
	pid := b.rl.pid()
	if pid == 0 {
		return 0
	}
	st, err := readProcStats(pid)
	if err != nil {
		return 0
	}
	return st.cpu
}
