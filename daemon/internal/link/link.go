package link

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/quic-go/quic-go"

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
	return &Link{cfg: cfg, pin: cfg.Pin, state: State{Phase: PhaseConnecting, Since: time.Now()}}
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
// returns nil. A relay key mismatch stops dialling; Run then waits for ctx.
func (l *Link) Run(ctx context.Context) error {
	if l.cfg.Addr == "" || l.cfg.Handler == nil {
		return errors.New("link: Addr and Handler are required")
	}
	defer l.setPhase(PhaseStopped, "")
	for attempt := 0; ctx.Err() == nil; {
		err := l.once(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, hop.ErrRelayKeyMismatch) {
			l.pinFailed(err)
			<-ctx.Done()
			return nil
		}
		if err == nil || errors.Is(err, errServed) {
			attempt = 0 // the connection was up: start the backoff afresh
		}
		attempt++
		l.wait(ctx, attempt, err)
	}
	return nil
}

var errServed = errors.New("link: connection ended")

func (l *Link) pinFailed(err error) {
	msg := fmt.Sprintf("relay key mismatch: refusing to connect (%v); "+
		"if the relay key really changed, restart p2pd with --relay-key", err)
	l.cfg.Logger.Error("relay key mismatch", "pinned", l.pin.Fingerprint(), "err", err)
	l.setPhase(PhasePinError, msg)
}

// wait sleeps a jittered exponential backoff: MinBackoff*2^(n-1), capped,
// then a random value in [d/2, d].
func (l *Link) wait(ctx context.Context, attempt int, err error) {
	d := l.cfg.MinBackoff << min(attempt-1, 20)
	if d > l.cfg.MaxBackoff || d <= 0 {
		d = l.cfg.MaxBackoff
	}
	d = d/2 + rand.N(d/2+1)
	msg := ""
	if err != nil && !errors.Is(err, errServed) {
		msg = err.Error()
		l.cfg.Logger.Warn("relay connection failed", "addr", l.cfg.Addr, "err", err, "retry_in", d)
	}
	l.mu.Lock()
	l.state.Phase, l.state.Since, l.state.Attempts = PhaseWaiting, time.Now(), attempt
	l.state.NextRetry = time.Now().Add(d)
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

// once runs one connection from dial to close.
func (l *Link) once(ctx context.Context) error {
	l.setPhase(PhaseConnecting, "")
	qc, st, c, err := l.dial(ctx)
	if err != nil {
		return err
	}
	l.serve(ctx, qc, st, c)
	return errServed
}

func (l *Link) dial(ctx context.Context) (*quic.Conn, *quic.Stream, *Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, l.cfg.DialTimeout)
	defer cancel()
	qc, err := quic.DialAddr(dctx, l.cfg.Addr, hop.ClientTLSConfig(), &quic.Config{
		KeepAlivePeriod: l.cfg.KeepAlive,
		MaxIdleTimeout:  3 * l.cfg.KeepAlive,
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("link: dial %s: %w", l.cfg.Addr, err)
	}
	st, err := qc.OpenStreamSync(dctx)
	if err != nil {
		_ = qc.CloseWithError(0, "no stream")
		return nil, nil, nil, fmt.Errorf("link: open stream: %w", err)
	}
	c, err := l.handshake(dctx, qc, st)
	if err != nil {
		_ = qc.CloseWithError(0, "handshake failed")
		return nil, nil, nil, err
	}
	return qc, st, c, nil
}

func (l *Link) handshake(ctx context.Context, qc *quic.Conn, st *quic.Stream) (*Conn, error) {
	binding, err := hop.Binding(qc.ConnectionState().TLS)
	if err != nil {
		return nil, fmt.Errorf("link: channel binding: %w", err)
	}
	l.mu.Lock()
	pin := l.pin
	l.mu.Unlock()
	hc, err := hop.Client(ctx, st, binding, pin)
	if err != nil {
		return nil, fmt.Errorf("link: hop handshake: %w", err)
	}
	if pin.IsZero() {
		if err := l.recordPin(hc.RelayKey()); err != nil {
			return nil, err
		}
	}
	return newConn(hc, hc.SessionID(), hc.RelayKey(), l.cfg.QueueLen), nil
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
func (l *Link) serve(ctx context.Context, qc *quic.Conn, st *quic.Stream, c *Conn) {
	l.mu.Lock()
	l.cur = c
	l.state.RelayKey, l.state.Attempts = c.RelayKey(), 0
	l.mu.Unlock()
	l.setPhase(PhaseConnected, "")
	go c.readLoop(l.cfg.Handler)
	go c.writeLoop(l.cfg.DrainTime)
	go c.keepalive(l.cfg.KeepAlive)
	go func() {
		if err := l.cfg.Handler.Up(ctx, c); err != nil {
			c.fail(err)
		}
	}()
	select {
	case <-ctx.Done():
		c.fail(ErrClosed)
	case <-c.done:
	case <-qc.Context().Done():
		c.fail(fmt.Errorf("link: connection lost: %w", context.Cause(qc.Context())))
	}
	l.mu.Lock()
	l.cur = nil
	l.mu.Unlock()
	l.closeGracefully(qc, st, c)
	l.cfg.Handler.Down(c, c.Err())
}

// closeGracefully lets the writer flush, sends FIN on the stream and gives
// the relay a moment to read it before the connection is closed. Nothing
// depends on this for durability (unacked envelopes are redelivered, sends
// retransmitted), it only avoids needless redelivery.
func (l *Link) closeGracefully(qc *quic.Conn, st *quic.Stream, c *Conn) {
	t := time.NewTimer(l.cfg.DrainTime + 500*time.Millisecond)
	defer t.Stop()
	select {
	case <-c.drained:
		_ = st.Close()
		select {
		case <-qc.Context().Done():
		case <-time.After(200 * time.Millisecond):
		}
	case <-t.C:
	}
	_ = qc.CloseWithError(0, "bye")
}
