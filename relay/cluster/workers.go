package cluster

import (
	"hash/maphash"

	"github.com/securep2p/securep2p/relay/store"
)

// op is one queued mailbox write, run by the worker that owns its
// recipient; fail reports it without running (store closed).
type op interface {
	run(n *Node)
	fail(err error)
}

var seed = maphash.MakeSeed()

func (n *Node) startWorkers() {
	n.workers = make([]chan op, n.cfg.Workers)
	for i := range n.workers {
		ch := make(chan op, 256)
		n.workers[i] = ch
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			for o := range ch {
				o.run(n)
			}
		}()
	}
}

// submit queues o on the worker owning key: appends are keyed by
// recipient, so they run one at a time in submission order (this is what
// keeps per-recipient order).
func (n *Node) submit(key string, o op) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	if n.shut {
		o.fail(store.ErrClosed)
		return
	}
	n.workers[maphash.String(seed, key)%uint64(len(n.workers))] <- o
}
