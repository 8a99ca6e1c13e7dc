package relay

import (
	"slices"

	"github.com/securep2p/securep2p/relay/store"
)

// Envelopes pushed from memory and not yet resolved.
//
// The store assigns an envelope its Seq when it pushes it and writes it
// only after AckWait without an Ack, so a pushed envelope can reach the
// mailbox after envelopes with higher Seqs. That is harmless for the
// session it was pushed to (it delivered it, in order), but not for a
// session that replaced it (a daemon killed and reconnected, a Logout and
// Login): if that session's cursor moved past the Seq, the envelope would
// be written behind it and never read on that connection.
//
// So the in-process router remembers each envelope it pushed, with the
// attachment (one Attach) it went to, until the sender's answer resolves
// it (written: Stored; acknowledged: Acked; failed). For the current
// target, envelopes pushed to earlier attachments are "held elsewhere":
//
//   - its mailbox reads stop before the first one above its cursor, and
//     resume when it is resolved (the router wakes the target);
//   - nothing is pushed to it meanwhile (the store writes those envelopes
//     at once; they are read after the older ones).
//
// Delivery to a replaced connection thus stays in Seq order. The wait is
// short: no Ack will come from the old attachment, so the store is told to
// write its held envelopes at once ([store.Bolt.ReleaseHeld]) when a newer
// session finds itself waiting for them and when a session detaches
// (Logout, connection closed), instead of waiting out their hold (which
// adapts up to MaxAckWait, 2s). A session that is no longer its user's
// target delivers nothing more (deliver.go).

// inflight is one pushed envelope not yet resolved.
type inflight struct {
	id  store.ID
	seq uint64
	gen uint64 // the attachment it was pushed to
}

// pusher is a Router that can hand an envelope to the recipient's session
// from memory (see deliver.go). It must not block.
type pusher interface {
	push(e *store.Envelope) bool
}

// push offers e to the user's target unless envelopes pushed to an earlier
// attachment are unresolved (runs on the store's commit goroutine).
func (r *localRouter) push(e *store.Envelope) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	rt := r.m[e.To]
	if rt == nil || rt.stale > 0 {
		return false
	}
	ss, ok := rt.n.(*session)
	if !ok || !ss.offer(e) {
		return false
	}
	rt.pushed = append(rt.pushed, inflight{id: e.ID, seq: e.Seq, gen: rt.gen})
	return true
}

// resolved forgets a pushed envelope once the store reported it (on disk,
// acknowledged, or failed); the target is woken when it was held elsewhere.
func (r *localRouter) resolved(user string, id store.ID) {
	r.mu.Lock()
	rt := r.m[user]
	if rt == nil {
		r.mu.Unlock()
		return
	}
	i := slices.IndexFunc(rt.pushed, func(p inflight) bool { return p.id == id })
	if i < 0 {
		r.mu.Unlock()
		return
	}
	wake := i < rt.stale
	if wake {
		rt.stale--
	}
	if i == 0 {
		rt.pushed = rt.pushed[1:]
	} else {
		rt.pushed = slices.Delete(rt.pushed, i, i+1)
	}
	n := rt.n
	r.forget(user, rt)
	r.mu.Unlock()
	if wake && n != nil {
		n.Notify()
	}
}

// heldElsewhere returns the first Seq above after that was pushed to an
// earlier attachment of user and is unresolved (0: none), and whether ss
// is user's target at all.
func (r *localRouter) heldElsewhere(user string, ss *session, after uint64) (uint64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rt := r.m[user]
	if rt == nil || rt.n != Notifier(ss) {
		return 0, false
	}
	for _, p := range rt.pushed[:rt.stale] {
		if p.seq > after {
			return p.seq, true
		}
	}
	return 0, true
}

// resolved tells the in-process router that the store answered the append
// of id to user.
func (s *Server) resolved(user string, id store.ID) {
	if r, ok := s.cfg.Router.(*localRouter); ok {
		r.resolved(user, id)
	}
}

// heldElsewhere is [localRouter.heldElsewhere] for ss's cursor; other
// routers know of no pushes and every session delivers. When ss waits for
// envelopes held elsewhere, the store writes them at once.
func (ss *session) heldElsewhere(user string) (uint64, bool) {
	if r, ok := ss.s.cfg.Router.(*localRouter); ok {
		held, target := r.heldElsewhere(user, ss, ss.cursor)
		if held != 0 {
			ss.s.releaseHeld(user)
		}
		return held, target
	}
	return 0, true
}

// hasStale reports whether envelopes pushed to an earlier (or no longer
// attached) session of user are unresolved.
func (r *localRouter) hasStale(user string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	rt := r.m[user]
	return rt != nil && rt.stale > 0
}

// releasePushed runs after ss detached from user: what was pushed to it and
// is still held is written at once (no Ack will come for it).
func (ss *session) releasePushed(user string) {
	if r, ok := ss.s.cfg.Router.(*localRouter); ok && r.hasStale(user) {
		ss.s.releaseHeld(user)
	}
}

// heldReleaser is a store that can write a user's held envelopes at once
// ([store.Bolt]).
type heldReleaser interface {
	ReleaseHeld(username string)
}

func (s *Server) releaseHeld(user string) {
	if r, ok := s.store.(heldReleaser); ok {
		r.ReleaseHeld(user)
	}
}

// delivering reports whether ss is still its user's delivery target (a
// newer connection of the user, or a Logout, ends that).
func (ss *session) delivering() bool {
	_, local := ss.s.cfg.Router.(*localRouter)
	return !local || ss.attached.Load() != 0
}
