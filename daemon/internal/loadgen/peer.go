package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/securep2p/securep2p/daemon/internal/e2e"
	"github.com/securep2p/securep2p/daemon/internal/link"
	"github.com/securep2p/securep2p/wire"
)

// Message markers: the first byte of a text's body says what it is.
const (
	markHello    = 'H' // initiator's first message (X3DH prekey message)
	markHelloAck = 'h' // responder's answer: the session works both ways
	markPing     = 'P'
	markEcho     = 'E'
)

// maxText is the largest --size (well inside e2e.MaxBody and wire.MaxBodySize).
const maxText = 16 << 10

// maxPending bounds one user's pings awaiting an echo (open loop).
const maxPending = 100_000

var (
	errUnknownPeer = errors.New("delivery from an unexpected sender")
	errNotUp       = errors.New("not connected")
	errBacklog     = errors.New("too many pings awaiting an echo")
)

// peer is one end-to-end session of a user. The session is used by the
// user's reader (decrypt, echo) and its sender goroutine (ping): mu
// serialises them.
type peer struct {
	name  string
	ready chan struct{} // closed once the session works both ways
	once  sync.Once
	echo  chan struct{} // cap 1: an echo of our outstanding ping arrived

	mu  sync.Mutex
	s   *e2e.Session
	key []byte // the peer's identity key, for Send.IdentityKey
}

func (p *peer) markReady() { p.once.Do(func() { close(p.ready) }) }

// open decrypts body; the first message of a session runs X3DH (Respond).
func (p *peer) open(u *user, body []byte) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.s != nil {
		return p.s.Decrypt(body)
	}
	s, pt, used, err := e2e.Respond(u.id, u.name, p.name, body, u.pre)
	if err != nil {
		return nil, err
	}
	u.pre.Consume(used)
	p.s, p.key = s, s.PeerIdentity().Bytes()
	p.markReady()
	return pt, nil
}

// seal pads and encrypts a text with marker m and message id.
func (p *peer) seal(m byte, body string, id []byte) (env, key []byte, err error) {
	pt, err := e2e.EncodeContent(&e2e.Content{Kind: e2e.KindText, Body: string(m) + body[1:],
		SentAt: uint64(time.Now().UnixMilli()), ID: id})
	if err != nil {
		return nil, nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.s == nil {
		return nil, nil, errors.New("no session yet")
	}
	env, err = p.s.Encrypt(pt)
	return env, p.key, err
}

// sendText encrypts and queues one text to p on c.
func (u *user) sendText(ctx context.Context, c *link.Conn, p *peer, m byte, id []byte) error {
	if c == nil {
		return errNotUp
	}
	env, key, err := p.seal(m, u.b.text, id)
	if err != nil {
		return err
	}
	return c.Write(ctx, &wire.Frame{Send: &wire.Send{ID: u.b.nextID(), To: p.name, Body: env, IdentityKey: key}})
}

// deliver Acks, decrypts and answers one delivery (reader goroutine).
func (u *user) deliver(c *link.Conn, d *wire.Deliver) error {
	if err := c.Write(u.ctx, &wire.Frame{Ack: &wire.Ack{ID: d.ID}}); err != nil {
		return err
	}
	p := u.peer(d.From)
	if p == nil {
		return errUnknownPeer
	}
	pt, err := p.open(u, d.Body)
	if err != nil {
		return err
	}
	msg, err := e2e.DecodeContent(pt)
	if err != nil {
		return err
	}
	if msg.Body == "" {
		return errors.New("empty text")
	}
	return u.handle(c, p, msg)
}

func (u *user) handle(c *link.Conn, p *peer, msg *e2e.Content) error {
	switch msg.Body[0] {
	case markHello:
		return u.sendText(u.ctx, c, p, markHelloAck, msg.ID)
	case markHelloAck:
		p.markReady()
	case markPing:
		u.b.countMsg()
		return u.sendText(u.ctx, c, p, markEcho, msg.ID)
	case markEcho:
		u.b.countMsg()
		u.echoed(p, msg.ID)
	default:
		return errors.New("unknown message marker")
	}
	return nil
}

// echoed records the round trip of one of our pings.
func (u *user) echoed(p *peer, id []byte) {
	var k [wire.IDSize]byte
	copy(k[:], id)
	now := time.Now()
	u.mu.Lock()
	t, ok := u.pending[k]
	if ok {
		delete(u.pending, k)
		u.samples = append(u.samples, now.Sub(t))
	}
	u.mu.Unlock()
	if ok {
		select {
		case p.echo <- struct{}{}:
		default:
		}
	}
}

// ping sends one ping to p, counted from at (its scheduled or real send
// time), and returns its id.
func (u *user) ping(ctx context.Context, p *peer, at time.Time) ([wire.IDSize]byte, error) {
	var k [wire.IDSize]byte
	copy(k[:], u.b.nextID())
	u.mu.Lock()
	if len(u.pending) >= maxPending {
		u.mu.Unlock()
		return k, errBacklog
	}
	u.pending[k] = at
	u.mu.Unlock()
	if err := u.sendText(ctx, u.lk.Current(), p, markPing, k[:]); err != nil {
		u.forget(k)
		return k, err
	}
	return k, nil
}

// forget drops a ping that will not be answered; true if it was pending.
func (u *user) forget(k [wire.IDSize]byte) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	_, ok := u.pending[k]
	delete(u.pending, k)
	return ok
}

// pingWait sends a ping and waits for its echo (closed loop).
func (u *user) pingWait(ctx context.Context, p *peer, timeout time.Duration) error {
	k, err := u.ping(ctx, p, time.Now())
	if err != nil {
		return err
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.echo:
		return nil
	case <-t.C:
		if u.forget(k) {
			u.b.c.timeouts.Add(1)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// initiate fetches p's bundle, runs X3DH and waits until the session
// works both ways (hello, hello-ack).
func (u *user) initiate(ctx context.Context, p *peer) error {
	c := u.lk.Current()
	if c == nil {
		return errNotUp
	}
	r, err := c.Request(ctx, &wire.Frame{FetchBundle: &wire.FetchBundle{Username: p.name}})
	if err != nil {
		return fmt.Errorf("fetch bundle: %w", err)
	}
	if r.Bundle == nil {
		return errors.New("fetch bundle: no bundle in the reply")
	}
	s, err := e2e.Initiate(u.id, u.name, r.Bundle)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.s, p.key = s, r.Bundle.IdentityKey
	p.mu.Unlock()
	if err := u.sendText(ctx, c, p, markHello, u.b.nextID()); err != nil {
		return err
	}
	select {
	case <-p.ready:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("session with %s: %w", p.name, ctx.Err())
	}
}
