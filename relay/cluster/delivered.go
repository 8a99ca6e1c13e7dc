package cluster

import (
	"sync"
	"time"

	"github.com/securep2p/securep2p/relay/store"
)

// delivered remembers where the envelopes [Node.Pending] returned are in
// the stream, so that their Ack (which arrives on the connection that
// received them, so on this node) deletes by sequence without reading the
// index first; it is also what finds an envelope Pending returned before
// its index entry was written (see locate). Two generations of at most
// limit/2 entries each bound it; a forgotten entry costs the Ack an index
// read (and, without an index entry, a redelivery on the next connection).
type delivered struct {
	mu       sync.Mutex
	cur, old map[deliveredKey]deliveredEnv
	limit    int
}

type deliveredKey struct {
	user string
	id   store.ID
}

type deliveredEnv struct {
	seq    uint64
	size   int64
	sentAt time.Time
}

const deliveredMemory = 1 << 16

func newDelivered() *delivered {
	return &delivered{cur: map[deliveredKey]deliveredEnv{}, old: map[deliveredKey]deliveredEnv{},
		limit: deliveredMemory}
}

func (d *delivered) put(e *store.Envelope) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.cur) >= d.limit/2 {
		d.old, d.cur = d.cur, make(map[deliveredKey]deliveredEnv, d.limit/2)
	}
	d.cur[deliveredKey{e.To, e.ID}] = deliveredEnv{seq: e.Seq, size: e.Size(), sentAt: e.SentAt}
}

// take returns and forgets the entry of (user, id).
func (d *delivered) take(user string, id store.ID) (deliveredEnv, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := deliveredKey{user, id}
	if v, ok := d.cur[k]; ok {
		delete(d.cur, k)
		return v, true
	}
	v, ok := d.old[k]
	if ok {
		delete(d.old, k)
	}
	return v, ok
}
