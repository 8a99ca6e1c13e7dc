package cluster

import (
	"hash/maphash"
	"sync"

	"github.com/securep2p/securep2p/relay/store"
)

// op is one queued mailbox write, run by the worker that owns its
// recipient; fail reports it without running (store closed).
type op interface {
	fail(err error)
}

// maxBatch bounds the ops one worker takes from its queue at once.
const maxBatch = 256

var seed = maphash.MakeSeed()

func (n *Node) startWorkers() {
	n.workers = make([]chan op, n.cfg.Workers)
	for i := range n.workers {
		ch := make(chan op, maxBatch)
		n.workers[i] = ch
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			n.work(ch)
		}()
	}
}

// work runs the ops of one queue in batches: whatever is queued (up to
// maxBatch) is taken at once; its appends run as one pipelined batch (in
// submission order), then its acks.
func (n *Node) work(ch chan op) {
	var appends []*appendOp
	var acks []*ackOp
	for o := range ch {
		appends, acks = sortOp(o, appends[:0], acks[:0])
	drain:
		for len(appends)+len(acks) < maxBatch {
			select {
			case o, ok := <-ch:
				if !ok {
					break drain
				}
				appends, acks = sortOp(o, appends, acks)
			default:
				break drain
			}
		}
		if len(appends) > 0 {
			n.appendBatch(appends)
		}
		if len(acks) > 0 {
			n.ackBatch(acks)
		}
		clear(appends)
		clear(acks)
	}
}

func sortOp(o op, appends []*appendOp, acks []*ackOp) ([]*appendOp, []*ackOp) {
	switch o := o.(type) {
	case *appendOp:
		appends = append(appends, o)
	case *ackOp:
		acks = append(acks, o)
	}
	return appends, acks
}

// submit queues o on the worker owning key (the recipient): its appends
// run in submission order (this is what keeps per-recipient order).
func (n *Node) submit(key string, o op) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	if n.shut {
		o.fail(store.ErrClosed)
		return
	}
	n.workers[maphash.String(seed, key)%uint64(len(n.workers))] <- o
}

// parallel runs f(0..count-1) concurrently and waits for all of them: the
// requests of one batch share the round-trip latency.
func parallel(count int, f func(i int)) {
	if count == 1 {
		f(0)
		return
	}
	var wg sync.WaitGroup
	wg.Add(count)
	for i := range count {
		go func() {
			defer wg.Done()
			f(i)
		}()
	}
	wg.Wait()
}
