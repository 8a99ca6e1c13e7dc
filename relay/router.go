package relay

import "sync"

// Router finds where a user is connected. The in-process router
// ([NewLocalRouter]) is the default; a clustered relay (NATS) will carry
// notifications between nodes behind the same interface.
type Router interface {
	// Attach makes s the delivery target of user, replacing an earlier
	// session (the newest connection of a user receives pushes). The returned
	// function detaches s if it is still the target.
	Attach(user string, s Notifier) (detach func())
	// Notify tells user's session, wherever it is, that new mail is waiting.
	// It never blocks.
	Notify(user string)
}

// Notifier is a session that can be woken to read its mailbox.
type Notifier interface {
	// Notify must not block.
	Notify()
}

type localRouter struct {
	mu  sync.Mutex
	m   map[string]*route
	gen uint64 // the last attachment's number
}

// route is what the in-process router knows of one user: the session it
// delivers to and the envelopes pushed to a session and not yet resolved
// (pushed.go). It is dropped when it holds neither.
type route struct {
	n      Notifier   // delivery target; nil when none is attached
	gen    uint64     // n's attachment number; 0 when none
	pushed []inflight // in Seq order
	stale  int        // pushed[:stale] went to an earlier attachment
}

// NewLocalRouter returns an in-process [Router].
func NewLocalRouter() Router { return &localRouter{m: map[string]*route{}} }

// Attach makes s the target. The session it replaces stops delivering
// (deliver.go), and what was pushed to it and is not yet resolved must
// reach s from the mailbox before anything newer.
func (r *localRouter) Attach(user string, s Notifier) func() {
	r.mu.Lock()
	rt := r.m[user]
	if rt == nil {
		rt = &route{}
		r.m[user] = rt
	}
	if old, ok := rt.n.(*session); ok && rt.n != s {
		old.attached.Store(0)
	}
	r.gen++
	gen := r.gen
	rt.n, rt.gen, rt.stale = s, gen, len(rt.pushed)
	if ss, ok := s.(*session); ok {
		ss.attached.Store(gen)
	}
	r.mu.Unlock()
	s.Notify()
	return func() { r.detach(user, gen) }
}

// detach ends attachment gen of user if it is still the target.
func (r *localRouter) detach(user string, gen uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rt := r.m[user]
	if rt == nil || rt.gen != gen {
		return
	}
	if ss, ok := rt.n.(*session); ok {
		ss.attached.Store(0)
	}
	rt.n, rt.gen, rt.stale = nil, 0, len(rt.pushed)
	r.forget(user, rt)
}

// forget drops rt when it holds nothing; r.mu is held.
func (r *localRouter) forget(user string, rt *route) {
	if rt.n == nil && len(rt.pushed) == 0 {
		delete(r.m, user)
	}
}

func (r *localRouter) Notify(user string) {
	r.mu.Lock()
	var n Notifier
	if rt := r.m[user]; rt != nil {
		n = rt.n
	}
	r.mu.Unlock()
	if n != nil {
		n.Notify()
	}
}
