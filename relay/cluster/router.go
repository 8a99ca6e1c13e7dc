package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/securep2p/securep2p/relay"
)

// Router returns the node's relay.Router: the node holding a user's
// connection subscribes to p2p.notify.<user>; Notify for a user connected
// elsewhere publishes there (core NATS, fire and forget: the envelope is
// already durable, a lost notice only delays delivery until the next
// wake; the notices this node may have missed, while it was reconnecting
// to NATS or its notice queue was full, are made up by waking every local
// session: see reconnected and catchUp). Attaching publishes an "attached"
// notice so that other nodes stop pushing to an older connection of the
// same user.
func (n *Node) Router() relay.Router { return n.router }

// attachPrefix marks an "attached on node X" notice; an empty payload is
// "new mail".
const attachPrefix = "attached:"

// renotifyAfter: wakes repeated after Attach (and after a reconnection to
// NATS), because a new subscription reaches the other NATS servers a
// moment later and a notice published in between is not delivered.
var renotifyAfter = []time.Duration{250 * time.Millisecond, time.Second}

// noticeQueue bounds the notices received and not yet handled; a notice
// arriving while it is full is dropped by the NATS client (see catchUp).
const noticeQueue = 4096

type router struct {
	n    *Node
	id   string
	msgs chan *nats.Msg
	quit chan struct{}
	wg   sync.WaitGroup

	mu    sync.Mutex
	local map[string]*target // user -> the session this node pushes to

	sinceFull int // dispatch only: notices handled since the queue was seen full (0: none pending)

	wakeMu   sync.Mutex
	lastWake time.Time // when every local session was last woken (requestWakeAll)
	trailing bool      // a wake at lastWake+wakeGap is scheduled
}

// wakeGap is the least time between two wakes of every local session
// (each costs every session a mailbox read): a request within it is served
// by one wake at its end.
const wakeGap = time.Second

type target struct {
	s   relay.Notifier
	sub *nats.Subscription
}

func newRouter(n *Node) *router {
	var id [8]byte
	rand.Read(id[:])
	r := &router{n: n, id: hex.EncodeToString(id[:]), msgs: make(chan *nats.Msg, noticeQueue),
		quit: make(chan struct{}), local: map[string]*target{}}
	n.nc.SetReconnectHandler(func(*nats.Conn) { r.reconnected() })
	r.wg.Add(1)
	go r.dispatch()
	return r
}

// reconnected wakes every local target after the connection to NATS came
// back: a notice published while it was down is lost (core NATS delivers
// at most once), and a wake costs one mailbox read. The wakes are repeated
// like after Attach (the subscriptions, sent again on the reconnection,
// reach the other NATS servers a moment later).
func (r *router) reconnected() {
	r.requestWakeAll()
	for _, d := range renotifyAfter {
		time.AfterFunc(d, r.requestWakeAll)
	}
}

// requestWakeAll wakes every local session now, or, within wakeGap of the
// last such wake, once at its end: always after the request, at most once
// per wakeGap however often NATS reconnects or the notice queue overflows.
func (r *router) requestWakeAll() {
	r.wakeMu.Lock()
	if r.trailing {
		r.wakeMu.Unlock()
		return // the scheduled wake comes after this request
	}
	if wait := time.Until(r.lastWake.Add(wakeGap)); wait > 0 {
		r.trailing = true
		r.wakeMu.Unlock()
		time.AfterFunc(wait, func() {
			r.wakeMu.Lock()
			r.trailing, r.lastWake = false, time.Now()
			r.wakeMu.Unlock()
			r.wakeAll()
		})
		return
	}
	r.lastWake = time.Now()
	r.wakeMu.Unlock()
	r.wakeAll()
}

// wakeAll wakes every session this node pushes to.
func (r *router) wakeAll() {
	r.mu.Lock()
	targets := make([]relay.Notifier, 0, len(r.local))
	for _, t := range r.local {
		targets = append(targets, t.s)
	}
	r.mu.Unlock()
	for _, s := range targets {
		s.Notify()
	}
}

// Attach implements relay.Router.
func (r *router) Attach(user string, s relay.Notifier) func() {
	t := r.take(user, s)
	r.publish(user, []byte(attachPrefix+r.id))
	s.Notify()
	for _, d := range renotifyAfter {
		time.AfterFunc(d, func() { r.notifyLocal(user, s) })
	}
	return func() { r.detach(user, t) }
}

// take makes s user's local target, subscribing when the user had none.
func (r *router) take(user string, s relay.Notifier) *target {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := &target{s: s}
	if old := r.local[user]; old != nil {
		t.sub = old.sub
	} else if validUser(user) {
		sub, err := r.n.nc.ChanSubscribe(notifySubject(user), r.msgs)
		if err != nil {
			r.n.cfg.Logger.Warn("cluster: subscribe for notices", "err", err)
		}
		t.sub = sub
	}
	r.local[user] = t
	return t
}

func (r *router) detach(user string, t *target) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.local[user] == t {
		r.drop(user)
	}
}

// drop forgets user's local target; r.mu is held.
func (r *router) drop(user string) {
	if t := r.local[user]; t != nil && t.sub != nil {
		_ = t.sub.Unsubscribe()
	}
	delete(r.local, user)
}

// Notify implements relay.Router: local sessions are woken directly,
// others through NATS.
func (r *router) Notify(user string) {
	r.mu.Lock()
	t := r.local[user]
	r.mu.Unlock()
	if t != nil {
		t.s.Notify()
		return
	}
	r.publish(user, nil)
}

func (r *router) notifyLocal(user string, s relay.Notifier) {
	r.mu.Lock()
	t := r.local[user]
	r.mu.Unlock()
	if t != nil && t.s == s {
		s.Notify()
	}
}

func (r *router) publish(user string, payload []byte) {
	if !validUser(user) {
		return
	}
	if err := r.n.nc.Publish(notifySubject(user), payload); err != nil {
		r.n.m.errs.WithLabelValues(opPublish).Inc()
		return
	}
	r.n.m.notify.WithLabelValues("out").Inc()
}

// dispatch handles notices received for users connected here.
func (r *router) dispatch() {
	defer r.wg.Done()
	for {
		select {
		case m := <-r.msgs:
			full := len(r.msgs) >= cap(r.msgs)-1
			r.handle(m)
			r.catchUp(full)
		case <-r.quit:
			return
		}
	}
}

// catchUp wakes every local target after notices may have been dropped.
// The client drops a notice only while the queue is full, and only
// dispatch takes from the queue, so the first notice taken after a drop
// leaves at least cap-1 behind: full. The wake follows once the queue is
// drained (or after a queue's worth of notices, under a sustained
// flood), so it comes after the drop and the dropped notice's envelope,
// stored before its notice was published, is read.
func (r *router) catchUp(full bool) {
	if full && r.sinceFull == 0 {
		r.sinceFull = 1
	}
	if r.sinceFull == 0 {
		return
	}
	if len(r.msgs) > 0 && r.sinceFull < cap(r.msgs) {
		r.sinceFull++
		return
	}
	r.sinceFull = 0
	r.requestWakeAll()
}

func (r *router) handle(m *nats.Msg) {
	user := strings.TrimPrefix(m.Subject, notifyPrefix)
	r.n.m.notify.WithLabelValues("in").Inc()
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.local[user]
	switch {
	case t == nil:
	case len(m.Data) == 0:
		t.s.Notify()
	case string(m.Data) != attachPrefix+r.id:
		r.drop(user) // the user attached on another node: push there only
	}
}

func (r *router) close() {
	close(r.quit)
	r.wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	for user := range r.local {
		r.drop(user)
	}
}
