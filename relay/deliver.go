package relay

import (
	"math/rand/v2"
	"time"

	"github.com/securep2p/securep2p/relay/store"
	"github.com/securep2p/securep2p/wire"
)

// Delivery to a connected recipient merges two sources in Seq order:
//
//   - live envelopes the store pushes from memory while their write waits
//     for the recipient's Ack ([store.Options.Push] -> [session.offer]),
//     queued in pushQ in Seq order;
//   - the mailbox, read after the cursor on connect and whenever an
//     envelope was written instead of pushed (Router.Notify).
//
// A live envelope whose Seq leaves a gap after the cursor waits until the
// mailbox was read up to it; a mailbox read stops before the first queued
// live envelope. The cursor (the last Seq written on this connection)
// skips whatever was already delivered from the other source. It belongs
// to one login: every Welcome stores a new user pointer, so a Logout and a
// Login as the same user start from the mailbox's beginning again and
// redeliver what was not acked.

// pushCap bounds pushQ; a full queue refuses the push and the store writes
// the envelope instead (it is then read from the mailbox).
func (ss *session) pushCap() int { return sendTokens }

// offer queues a live envelope (store commit goroutine; never blocks).
func (ss *session) offer(e *store.Envelope) bool {
	select {
	case <-ss.closing:
		return false
	default:
	}
	ss.liveMu.Lock()
	if len(ss.pushQ) >= ss.pushCap() {
		ss.liveMu.Unlock()
		return false
	}
	ss.pushQ = append(ss.pushQ, e)
	ss.liveMu.Unlock()
	select {
	case ss.live <- struct{}{}:
	default:
	}
	ss.kick()
	return true
}

// takePushed swaps out the queued live envelopes.
func (ss *session) takePushed() []*store.Envelope {
	ss.liveMu.Lock()
	defer ss.liveMu.Unlock()
	q := ss.pushQ
	ss.pushQ = ss.spare[:0]
	return q
}

// firstPushed is the Seq of user's first queued live envelope, 0 if none.
func (ss *session) firstPushed(user string) uint64 {
	ss.liveMu.Lock()
	defer ss.liveMu.Unlock()
	for _, e := range ss.pushQ {
		if e.To == user {
			return e.Seq
		}
	}
	return 0
}

// deliverPushed writes the queued live envelopes.
func (ss *session) deliverPushed() bool {
	q := ss.takePushed()
	ok := true
	for i, e := range q {
		if ok {
			ok = ss.deliverLive(e)
		}
		q[i] = nil
	}
	ss.spare = q[:0]
	return ok
}

// deliverLive writes one live envelope unless it was already delivered,
// belongs to another user (logged out since), this session is no longer
// the user's target, or an older envelope held elsewhere must come first:
// then it stays held, is written and read from the mailbox later.
func (ss *session) deliverLive(e *store.Envelope) bool {
	user := ss.loginCursor()
	if e.To != user || !ss.delivering() {
		return true
	}
	if e.Seq > ss.cursor+1 {
		if !ss.pull(e.Seq) {
			return false
		}
		if ss.heldSeq != 0 && ss.heldSeq < e.Seq {
			return true
		}
	}
	if e.Seq <= ss.cursor {
		return true
	}
	return ss.deliver(e)
}

// pull writes the user's mailbox after the cursor, in order, stopping before
// Seq before (0: no bound), before the first queued live envelope (then
// it asks for another read once those are written) and before an envelope
// held elsewhere (pushed.go; the router wakes it once that is resolved).
// A session that is not its user's target writes nothing. Queued replies
// (Welcome first of all) go out before each batch.
func (ss *session) pull(before uint64) bool {
	for {
		if !ss.flushQueued() {
			return false
		}
		user := ss.loginCursor()
		if user == "" {
			ss.endReadRetry() // nothing to read for
			return true
		}
		// Before the mailbox read: an envelope resolved after this check
		// was committed before the read.
		held, target := ss.heldElsewhere(user)
		if ss.heldSeq = held; !target {
			ss.endReadRetry() // the user's target reads
			return true
		}
		envs, err := ss.s.store.Pending(user, ss.cursor, ss.s.now(), pullBatch)
		if err != nil {
			ss.s.cfg.Logger.Error("relay: read mailbox", "err", err)
			ss.readFailed()
			return true
		}
		ss.endReadRetry()
		// Read the live queue after the mailbox: a live envelope older than
		// a committed one was queued before that commit.
		limit := ss.firstPushed(user)
		if limit == 0 || before != 0 && before < limit {
			limit = before
		}
		for i := range envs {
			if held != 0 && envs[i].Seq >= held || !ss.delivering() {
				return true
			}
			if limit != 0 && envs[i].Seq >= limit {
				ss.needPull = true
				return true
			}
			if !ss.deliver(&envs[i]) {
				return false
			}
		}
		if len(envs) < pullBatch {
			return true
		}
	}
}

// loginCursor returns the logged-in user ("" when none, or while its
// Welcome is not yet written) and resets the cursor when it belongs to an
// earlier login (compared by the pointer each Welcome stores, not by name).
func (ss *session) loginCursor() string {
	p := ss.user.Load()
	if p == nil || p != ss.welcomed {
		return ""
	}
	if p != ss.cursorOf {
		ss.cursorOf, ss.cursor = p, 0
	}
	return *p
}

// deliver writes one envelope and advances the cursor.
func (ss *session) deliver(e *store.Envelope) bool {
	d := &ss.scratch.deliver
	*d = wire.Deliver{ID: e.ID[:], From: e.From, Body: e.Body, SentAt: uint64(e.SentAt.UnixMilli())}
	ok := ss.writeScratch(&wire.Frame{Deliver: d})
	*d = wire.Deliver{}
	if !ok {
		return false
	}
	ss.cursor = e.Seq
	ss.s.m.MessagesDelivered.Inc()
	ss.s.bytesOut.Add(float64(len(e.Body)))
	return true
}

// A failed mailbox read (the store unavailable for a moment: a clustered
// store's leader election) is retried: nothing else wakes the writer
// before new mail arrives. Each failure schedules one wake, readRetryMin
// after the first and doubling up to readRetryMax; a read that succeeds,
// or finds nothing to read for, ends it. A wake after the session closed
// does nothing (kick starts no writer then).
const (
	readRetryMin = 250 * time.Millisecond
	readRetryMax = 4 * time.Second
)

// readFailed schedules the next read (writer only), at the current delay
// ±50% so that sessions whose reads failed together (a store outage) do
// not retry in lockstep.
func (ss *session) readFailed() {
	ss.retryDelay = min(max(2*ss.retryDelay, readRetryMin), readRetryMax)
	d := ss.retryDelay/2 + rand.N(ss.retryDelay)
	if ss.retry == nil {
		ss.retry = time.AfterFunc(d, ss.Notify)
		return
	}
	ss.retry.Reset(d)
}

// endReadRetry cancels a scheduled retry (writer only): a read succeeded,
// or there is nothing to read for.
func (ss *session) endReadRetry() {
	if ss.retryDelay == 0 {
		return
	}
	ss.retry.Stop()
	ss.retryDelay = 0
}
