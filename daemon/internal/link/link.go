package link

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/hop"
	"github.com/securep2p/securep2p/wire/secp"
)

// Phase is the link's coarse state.
type Phase string

// Phases.
const (
	PhaseConnecting Phase = "connecting"
	PhaseConnected  Phase = "connected"
	PhaseWaiting    Phase = "waiting"   // backing off before the next attempt
	PhasePinError   Phase = "pin-error" // relay key mismatch: stopped for good
	PhaseStopped    Phase = "stopped"
)

// State is a snapshot for status displays.
type State struct {
	Phase     Phase
	LastError string    // the last connection failure, empty when none
	Since     time.Time // when Phase was entered
	NextRetry time.Time // set in PhaseWaiting
	Attempts  int       // consecutive failed attempts
	Addr      string    // the relay address in use, or being (or last) dialled
	RelayKey  secp.PublicKey
}

// Link keeps one connection to the relay alive.
type Link struct {
	cfg Config

	mu    sync.Mutex
	state State
	pin   secp.PublicKey
	cur   *Conn
}

// New returns a Link; call Run to start it.
func New(cfg Config) *Link {
	cfg.populate()
	st := State{Phase: PhaseConnecting, Since: time.Now()}
	if a := cfg.addrs(); len(a) > 0 {
		st.Addr = a[0]
	}
	return &Link{cfg: cfg, pin: cfg.Pin, state: st}
}

// State returns a snapshot of the link state.
func (l *Link) State() State {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state
}

// Current returns the live connection, or nil.
func (l *Link) Current() *Conn {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cur
}

func (l *Link) setPhase(p Phase, errText string) {
	l.mu.Lock()
	l.state.Phase, l.state.Since = p, time.Now()
	if errText != "" || p == PhaseConnected {
		l.state.LastError = errText
	}
	l.mu.Unlock()
	l.notify()
}

func (l *Link) notify() {
	if l.cfg.OnState != nil {
		l.cfg.OnState(l.State())
	}
}

// Run dials, serves and redials until ctx ends, then closes cleanly and
// returns nil. After a failed dial or an ended connection it moves to the
// next address. A relay key mismatch on any address stops dialling; Run
// then waits for ctx.
func (l *Link) Run(ctx context.Context) error {
	addrs := l.cfg.addrs()
	if len(addrs) == 0 || l.cfg.Handler == nil {
		return errors.New("link: an address and a Handler are required")
	}
	defer l.setPhase(PhaseStopped, "")
	for i, attempt := 0, 0; ctx.Err() == nil; i = (i + 1) % len(addrs) {
		err := l.once(ctx, addrs[i])
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, hop.ErrRelayKeyMismatch) {
			l.pinFailed(addrs[i], err)
			<-ctx.Done()
			return nil
		}
		if errors.Is(err, errServed) {
			attempt = 0 // the connection was up: start the backoff afresh
		}
		attempt++
		l.wait(ctx, attempt, addrs[i], err)
	}
	return nil
}

var errServed = errors.New("link: connection ended")

func (l *Link) pinFailed(addr string, err error) {
	msg := fmt.Sprintf("relay key mismatch at %s: refusing to connect (%v); "+
		"if the relay key really changed, restart p2pd with --relay-key", addr, err)
	l.cfg.Logger.Error("relay key mismatch", "addr", addr, "pinned", l.pinned().Fingerprint(), "err", err)
	l.setPhase(PhasePinError, msg)
}

func (l *Link) pinned() secp.PublicKey {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pin
}

// wait sleeps the jittered exponential [backoff] before the next attempt.
func (l *Link) wait(ctx context.Context, attempt int, addr string, err error) {
	d := backoff(attempt, l.cfg.MinBackoff, l.cfg.MaxBackoff, rand.N[time.Duration])
	msg := ""
	if err != nil && !errors.Is(err, errServed) {
		msg = err.Error()
		l.cfg.Logger.Warn("relay connection failed", "addr", addr, "err", err, "retry_in", d)
	}
	now := time.Now()
	l.mu.Lock()
	l.state.Phase, l.state.Since, l.state.Attempts = PhaseWaiting, now, attempt
	l.state.NextRetry = now.Add(d)
	if msg != "" {
		l.state.LastError = msg
	}
	l.mu.Unlock()
	l.notify()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// once runs one connection to addr from dial to close.
func (l *Link) once(ctx context.Context, addr string) error {
	l.mu.Lock()
	l.state.Addr = addr
	l.mu.Unlock()
	l.setPhase(PhaseConnecting, "")
	t, err := l.dial(ctx, addr)
	if err != nil {
		return err
	}
	l.serve(ctx, t, newConn(t, t.SessionID(), t.RelayKey(), l.cfg.QueueLen))
	return errServed
}

// dial connects to addr with the current pin and, when no key was pinned
// yet, records the relay's key before the connection is used.
func (l *Link) dial(ctx context.Context, addr string) (transport, error) {
	dctx, cancel := context.WithTimeout(ctx, l.cfg.DialTimeout)
	defer cancel()
	pin := l.pinned()
	t, err := l.cfg.dial(dctx, addr, pin, l.cfg.KeepAlive)
	if err != nil {
		return nil, err
	}
	if pin.IsZero() {
		if err := l.recordPin(t.RelayKey()); err != nil {
			_ = t.Close()
			return nil, err
		}
	}
	if v := t.Version(); v < wire.ProtocolVersion {
		l.cfg.Logger.Warn("relay speaks an older protocol: using it without the newer features",
			"addr", addr, "version", v, "ours", wire.ProtocolVersion)
	}
	return t, nil
}

func (l *Link) recordPin(k secp.PublicKey) error {
	if l.cfg.RecordPin != nil {
		if err := l.cfg.RecordPin(k); err != nil {
			return fmt.Errorf("link: record relay key: %w", err)
		}
	}
	l.cfg.Logger.Info("relay key trusted on first use", "relay_key", k.String())
	l.mu.Lock()
	l.pin = k
	l.mu.Unlock()
	return nil
}

// serve runs the reader, writer, keepalive and Handler.Up for one
// connection and returns when it ended or ctx was cancelled.
func (l *Link) serve(ctx context.Context, t transport, c *Conn) {
	l.mu.Lock()
	l.cur = c
	l.state.RelayKey, l.state.Attempts = c.RelayKey(), 0
	l.mu.Unlock()
	l.setPhase(PhaseConnected, "")
	go c.readLoop(l.cfg.Handler)
	go c.writeLoop(l.cfg.DrainTime)
	go c.keepalive(l.cfg.KeepAlive, l.cfg.PongTimeout, c.ping)
	go func() {
		if err := l.cfg.Handler.Up(ctx, c); err != nil {
			c.fail(err)
		}
	}()
	select {
	case <-ctx.Done():
		c.fail(ErrClosed)
	case <-c.done:
	case <-t.Context().Done():
		c.fail(fmt.Errorf("link: connection lost: %w", context.Cause(t.Context())))
	}
	l.mu.Lock()
	l.cur = nil
	l.mu.Unlock()
	l.closeGracefully(t, c)
	l.cfg.Handler.Down(c, c.Err())
}

// closeGracefully lets the writer flush, sends FIN on the stream and gives
// the relay a moment to read it before the connection is closed. Nothing
// depends on this for durability (unacked envelopes are redelivered, sends
// retransmitted), it only avoids needless redelivery.
func (l *Link) closeGracefully(t transport, c *Conn) {
	timer := time.NewTimer(l.cfg.DrainTime + 500*time.Millisecond)
	defer timer.Stop()
	select {
	case <-c.drained:
		_ = t.CloseWrite()
		select {
		case <-t.Context().Done():
		case <-time.After(200 * time.Millisecond):
		}
	case <-timer.C:
	}
	_ = t.Close()
}
