package relay

import (
	"sync"

	"github.com/securep2p/securep2p/relay/store"
)

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
	mu sync.RWMutex
	m  map[string]Notifier
}

// NewLocalRouter returns an in-process [Router].
func NewLocalRouter() Router { return &localRouter{m: map[string]Notifier{}} }

func (r *localRouter) Attach(user string, s Notifier) func() {
	r.mu.Lock()
	r.m[user] = s
	r.mu.Unlock()
	s.Notify()
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.m[user] == s {
			delete(r.m, user)
		}
	}
}

func (r *localRouter) Notify(user string) {
	r.mu.RLock()
	s := r.m[user]
	r.mu.RUnlock()
	if s != nil {
		s.Notify()
	}
}

// pusher is a Router that can hand an envelope to the recipient's session
// from memory (see deliver.go). It must not block.
type pusher interface {
	push(e *store.Envelope) bool
}

func (r *localRouter) push(e *store.Envelope) bool {
	r.mu.RLock()
	n := r.m[e.To]
	r.mu.RUnlock()
	ss, ok := n.(*session)
	return ok && ss.offer(e)
}
