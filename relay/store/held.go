package store

import (
	"sync"
	"time"
)

// Held envelopes: the online path.
//
// An append that passed its checks is offered to the recipient's live
// connection ([Options.Push]) before anything is written. When Push takes
// it, the envelope is held in memory for the hold time (AckWait at least,
// adapted to how fast Acks come; see ackwait.go):
//
//   - the recipient's Ack arriving first cancels it: nothing is written,
//     the sender's done reports [Acked] (the recipient stored it) and the id
//     is remembered (the last AckedMemory/2 at least) so a re-send stays a
//     Duplicate;
//   - otherwise the next group commit writes it with the Seq it was pushed
//     with, and done reports [Stored] after the fsync. A later Ack deletes it
//     as usual.
//
// So "done" never reports success before the envelope is either fsynced or
// acknowledged by the recipient, and a relay killed at any point loses only
// envelopes whose sender was not told anything (it re-sends them).

// heldKey names an envelope: recipient and id.
type heldKey struct {
	user string
	id   ID
}

// heldSet is shared by the commit goroutine (hold, due) and Ack callers
// (cancel). Lock order: heldSet.mu is a leaf lock.
type heldSet struct {
	mu       sync.Mutex
	m        map[heldKey]*appendOp // held and not yet taken for writing
	use      map[string]heldUse    // per recipient: what m holds (quota)
	queue    []*appendOp           // hold order; cancelled entries are skipped
	acked    ackedIDs              // ids cancelled by an Ack: the last limit/2 at least, limit at most
	limit    int
	released int         // entries marked released since the last due
	est      ackEstimate // the hold time
}

// heldUse is what a recipient's held envelopes count against its quota.
type heldUse struct {
	count, bytes int64
}

func (h *heldSet) init(memory int, floor, ceil time.Duration) {
	h.est.init(floor, ceil)
	h.m = map[heldKey]*appendOp{}
	h.use = map[string]heldUse{}
	h.limit = max(memory, 2)
	h.acked.init(h.limit)
}

// hold registers o before it is pushed.
func (h *heldSet) hold(o *appendOp, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	o.heldAt, o.held = now, true
	h.m[o.key()] = o
	h.account(o, 1)
	h.queue = append(h.queue, o)
}

// account adds (sign 1) or removes (-1) o from its recipient's use.
func (h *heldSet) account(o *appendOp, sign int64) {
	u := h.use[o.env.To]
	u.count += sign
	u.bytes += sign * o.env.Size()
	if u.count <= 0 {
		delete(h.use, o.env.To)
		return
	}
	h.use[o.env.To] = u
}

// usage is what user's held envelopes count against its quota.
func (h *heldSet) usage(user string) heldUse {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.use[user]
}

// unhold undoes hold when the push was refused (o is the last queued).
func (h *heldSet) unhold(o *appendOp) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.m, o.key())
	h.account(o, -1)
	h.queue = h.queue[:len(h.queue)-1]
	o.held = false
}

// duplicate reports whether k is held or was acked while held. When held,
// done waits for the original to be resolved (wait is true): a duplicate is
// not confirmed before the original is durable or acknowledged.
func (h *heldSet) duplicate(k heldKey, done func(AppendResult, error)) (wait, dup bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if o := h.m[k]; o != nil {
		o.dups = append(o.dups, done)
		return true, true
	}
	return false, h.wasAcked(k)
}

// cancel removes the held envelope k (its Ack arrived at now, before any
// write), remembers the id and measures the push-to-Ack time. It returns
// nil when k is not held (an Ack after a write due to a hold that ran out
// is measured all the same).
func (h *heldSet) cancel(k heldKey, now time.Time) *appendOp {
	h.mu.Lock()
	defer h.mu.Unlock()
	o := h.m[k]
	if o == nil {
		h.est.lateAck(k, now)
		return nil
	}
	delete(h.m, k)
	h.account(o, -1)
	o.cancelled = true
	h.remember(k)
	if !o.released {
		h.est.observe(now.Sub(o.heldAt))
	}
	return o
}

// release marks user's held envelopes to be written in the next round
// (the connection they were pushed to is gone: no Ack will cancel them).
// It reports whether any was marked.
func (h *heldSet) release(user string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, o := range h.queue {
		if !o.cancelled && !o.released && o.env.To == user {
			o.released = true
			n++
		}
	}
	h.released += n
	return n > 0
}

// remember adds k to the bounded set of ids acked while held.
func (h *heldSet) remember(k heldKey) {
	h.acked.add(k)
}

func (h *heldSet) wasAcked(k heldKey) bool { return h.acked.has(k) }

// due takes the held envelopes to write at now: those held longer than
// the hold time, those over the cap max, those released, or all of them
// when all is set. They leave the set; an Ack arriving later goes through
// the commit queue.
func (h *heldSet) due(now time.Time, max int, all bool, out []*appendOp) []*appendOp {
	h.mu.Lock()
	defer h.mu.Unlock()
	cutoff := now.Add(-h.est.hold())
	scan := h.released > 0 // released ones may sit behind entries not due
	h.released = 0
	keep := h.queue[:0]
	i := 0
	for ; i < len(h.queue); i++ {
		o := h.queue[i]
		if o.cancelled {
			continue
		}
		expired := o.heldAt.Before(cutoff)
		if !all && !expired && !o.released && len(h.m) <= max {
			if !scan {
				break
			}
			keep = append(keep, o)
			continue
		}
		if expired && !all && !o.released {
			h.est.timedOut(o.key(), o.heldAt)
		}
		delete(h.m, o.key())
		h.account(o, -1)
		out = append(out, o)
	}
	h.queue = append(keep, h.queue[i:]...)
	return out
}

// wait returns how long until the oldest held envelope is due, and false
// when nothing is held.
func (h *heldSet) wait(now time.Time) (time.Duration, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for len(h.queue) > 0 && h.queue[0].cancelled {
		h.queue = h.queue[1:]
	}
	if len(h.queue) == 0 {
		return 0, false
	}
	return max(h.queue[0].heldAt.Add(h.est.hold()).Sub(now), 0), true
}

// ReleaseHeld writes username's held envelopes in the next group commit
// instead of at the end of their hold: the connection they were pushed to
// is gone (closed, or replaced by a newer one that waits for them), so no
// Ack will come for them. It never blocks.
func (s *Bolt) ReleaseHeld(username string) {
	if !s.held.release(username) {
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
