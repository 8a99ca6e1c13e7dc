package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/securep2p/securep2p/daemon/internal/e2e"
	"github.com/securep2p/securep2p/daemon/internal/link"
	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/hop"
	"github.com/securep2p/securep2p/wire/secp"
)

// stopTimeout bounds how long stopping one user's link may take.
const stopTimeout = 10 * time.Second

// user is one simulated account (or, for idle and connect, one more
// connection of an account) with its own QUIC connection through the
// daemon's relay link. It implements [link.Handler].
type user struct {
	b        *bench
	name     string
	id       *e2e.Identity
	pre      *e2e.PrekeyStore // touched by setup, then only by the reader
	reg      *wire.Register   // sent by the first Up unless registered
	resumeAs bool             // authenticate with Resume from the start
	node     int              // index of the relay node it connects to (modulo the node count)

	registered atomic.Bool
	stopping   atomic.Bool
	up         chan error // first authentication result, cap 1
	upOnce     sync.Once
	ctx        context.Context
	cancel     context.CancelFunc
	lk         *link.Link
	done       chan struct{} // closed when the link's Run returned

	mu      sync.Mutex
	peers   map[string]*peer
	pending map[[wire.IDSize]byte]time.Time // our pings awaiting their echo
	samples []time.Duration
}

// newUser creates an account's keys and its Register frame with oneTime
// one-time prekeys.
func newUser(b *bench, name string, oneTime int) (*user, error) {
	id, err := e2e.NewIdentity()
	if err != nil {
		return nil, err
	}
	pre := e2e.NewPrekeyStore()
	spk, err := pre.RotateSignedPrekey(id)
	if err != nil {
		return nil, err
	}
	otks, err := pre.GenerateOneTime(oneTime)
	if err != nil {
		return nil, err
	}
	u := b.newConnUser(name, id)
	u.pre, u.resumeAs = pre, false
	u.reg = &wire.Register{Username: name, Password: randomPassword(), IdentityKey: id.Public().Bytes(),
		SignedPrekey: spk, OneTime: otks}
	return u, nil
}

// newConnUser is one more connection of an existing account: it resumes.
func (b *bench) newConnUser(name string, id *e2e.Identity) *user {
	u := &user{b: b, name: name, id: id, resumeAs: true, up: make(chan error, 1), done: make(chan struct{}),
		peers: map[string]*peer{}, pending: map[[wire.IDSize]byte]time.Time{}}
	return u
}

func randomPassword() string {
	var p [16]byte
	_, _ = rand.Read(p[:])
	return hex.EncodeToString(p[:])
}

// start runs the user's link until stop.
func (u *user) start(ctx context.Context, addr string, pin secp.PublicKey) {
	u.ctx, u.cancel = context.WithCancel(ctx)
	u.lk = link.New(link.Config{Addr: addr, Pin: pin, Handler: u, OnState: u.onState, Transport: u.b.o.transport})
	go func() {
		defer close(u.done)
		_ = u.lk.Run(u.ctx)
	}()
}

// waitUp waits for the first authentication (Welcome) or its failure.
func (u *user) waitUp(ctx context.Context, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case err := <-u.up:
		return err
	case <-t.C:
		return fmt.Errorf("%s: no Welcome within %v", u.name, timeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stop ends the link (cleanly: queued frames are flushed) and waits for it.
func (u *user) stop() {
	if u.cancel == nil {
		return
	}
	u.stopping.Store(true)
	u.cancel()
	select {
	case <-u.done:
	case <-time.After(stopTimeout):
	}
}

func (u *user) signalUp(err error) {
	u.upOnce.Do(func() { u.up <- err })
}

// onState reports a failed first dial (Down is only called after a
// connection was up).
func (u *user) onState(s link.State) {
	if s.Phase == link.PhaseWaiting || s.Phase == link.PhasePinError {
		if s.LastError != "" {
			u.signalUp(errors.New(s.LastError))
		}
	}
}

// Up authenticates: Register the first time, Resume afterwards.
func (u *user) Up(ctx context.Context, c *link.Conn) error {
	f := &wire.Frame{Register: u.reg}
	if u.resumeAs || u.registered.Load() {
		sid := c.SessionID()
		f = &wire.Frame{Resume: &wire.Resume{Username: u.name,
			Signature: u.id.Key().Sign(hop.ResumeLabel, hop.ResumeMessage(sid, u.name))}}
	}
	_, err := c.Request(ctx, f)
	if err != nil {
		err = fmt.Errorf("%s: authenticate: %w", u.name, err)
	} else {
		u.registered.Store(true)
	}
	u.signalUp(err)
	return err
}

// Down counts a connection lost before the run stopped it.
func (u *user) Down(_ *link.Conn, err error) {
	if !u.stopping.Load() {
		u.b.c.fail(fmt.Errorf("%s: connection lost: %w", u.name, err))
		u.signalUp(err)
	}
}

// Frame handles deliveries and send failures (reader goroutine).
func (u *user) Frame(c *link.Conn, f *wire.Frame) {
	switch {
	case f.Deliver != nil:
		if err := u.deliver(c, f.Deliver); err != nil {
			u.b.c.fail(fmt.Errorf("%s: deliver: %w", u.name, err))
		}
	case f.Error != nil:
		u.b.c.fail(fmt.Errorf("%s: relay refused a send: %w", u.name, f.Error.Err()))
	}
}

func (u *user) peer(name string) *peer {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.peers[name]
}

// addPeer prepares the session slot for name (before any message flows).
func (u *user) addPeer(name string) *peer {
	p := &peer{name: name, ready: make(chan struct{}), echo: make(chan struct{}, 1)}
	u.mu.Lock()
	u.peers[name] = p
	u.mu.Unlock()
	return p
}
