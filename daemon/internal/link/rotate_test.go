package link

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/hop"
	"github.com/securep2p/securep2p/wire/secp"
)

// fakeDialer hands out transports per address: an address without one
// fails to dial. It stops the test's link after max dials.
type fakeDialer struct {
	mu    sync.Mutex
	max   int
	stop  context.CancelFunc
	addrs []string
	pins  []secp.PublicKey
	conns map[string]func() (transport, error)
}

func (f *fakeDialer) dial(_ context.Context, addr string, pin secp.PublicKey, _ time.Duration) (transport, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addrs, f.pins = append(f.addrs, addr), append(f.pins, pin)
	if len(f.addrs) == f.max {
		f.stop()
	}
	if c := f.conns[addr]; c != nil {
		return c()
	}
	return nil, fmt.Errorf("fake: %s unreachable", addr)
}

func (f *fakeDialer) dialled() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.addrs...)
}

// runFake runs a link with fd until fd stopped it after fd.max dials.
func runFake(t *testing.T, cfg Config, fd *fakeDialer) (*Link, *recorder) {
	t.Helper()
	rec := newRecorder()
	cfg.Handler, cfg.OnState, cfg.RecordPin, cfg.dial = rec, rec.onState, rec.recordPin, fd.dial
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fd.stop = cancel
	l := New(cfg)
	if err := l.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return l, rec
}

// TestRotateOnDialFailure: failed dials walk the list in order, wrapping
// around, and each wait is the jittered backoff of its attempt number.
func TestRotateOnDialFailure(t *testing.T) {
	lo, hi := time.Millisecond, 8*time.Millisecond
	fd := &fakeDialer{max: 8}
	_, rec := runFake(t, Config{Addr: "a:1", Addrs: []string{"b:1", "c:1"}, MinBackoff: lo, MaxBackoff: hi}, fd)
	if got, want := fd.dialled(), []string{"a:1", "b:1", "c:1", "a:1", "b:1", "c:1", "a:1", "b:1"}; !slices.Equal(got, want) {
		t.Fatalf("dialled %q, want %q", got, want)
	}
	n := 0
	for _, s := range rec.states {
		if s.Phase != PhaseWaiting {
			continue
		}
		n++
		d := expected(n, lo, hi)
		if s.Attempts != n || s.LastError == "" {
			t.Errorf("wait %d: attempts %d, last error %q", n, s.Attempts, s.LastError)
		}
		if got := s.NextRetry.Sub(s.Since); got < d/2 || got > d {
			t.Errorf("wait %d: backoff %v outside [%v, %v]", n, got, d/2, d)
		}
	}
	if n < 7 {
		t.Fatalf("%d waits recorded, want 7", n)
	}
}

// TestRotateOnShuttingDown: a relay that says it is shutting down (a
// fatal Error without Req or ID) ends the connection; the link moves to
// the next address with the backoff restarted, and Status names it.
func TestRotateOnShuttingDown(t *testing.T) {
	key := newKey(t).Public()
	first := newFakeTransport(key)
	first.in <- &wire.Frame{Error: &wire.Error{Code: wire.CodeShuttingDown}}
	var second *fakeTransport
	fd := &fakeDialer{max: 2, conns: map[string]func() (transport, error){
		"a:1": func() (transport, error) { return first, nil },
		"b:1": func() (transport, error) { second = newFakeTransport(key); return second, nil },
	}}
	l, rec := runFake(t, Config{Addrs: []string{"a:1", "b:1"}}, fd)
	if got := fd.dialled(); !slices.Equal(got, []string{"a:1", "b:1"}) {
		t.Fatalf("dialled %q", got)
	}
	if !fd.pins[0].IsZero() || !fd.pins[1].Equal(key) || rec.pinCount() != 1 {
		t.Fatalf("pins used %v, recorded %d: want TOFU on a:1, then a:1's key for b:1", fd.pins, rec.pinCount())
	}
	if code, ok := remoteCode(rec.downs[0]); !ok || code != wire.CodeShuttingDown {
		t.Fatalf("first connection ended with %v", rec.downs[0])
	}
	var connected []string
	for _, s := range rec.states {
		if s.Phase == PhaseConnected {
			connected = append(connected, s.Addr)
		}
		if s.Phase == PhaseWaiting && s.Attempts != 1 {
			t.Errorf("after a served connection the backoff did not restart: attempt %d", s.Attempts)
		}
	}
	if !slices.Equal(connected, []string{"a:1", "b:1"}) {
		t.Fatalf("connected to %q", connected)
	}
	if st := l.State(); st.Phase != PhaseStopped || st.Addr != "b:1" {
		t.Fatalf("final state %+v", st)
	}
}

// TestPinMismatchStopsRotation: a mismatch reported by the handshake on
// the second address stops the link: the third is never dialled.
func TestPinMismatchStopsRotation(t *testing.T) {
	fd := &fakeDialer{max: 10, conns: map[string]func() (transport, error){
		"b:1": func() (transport, error) {
			return nil, fmt.Errorf("fake handshake: %w", hop.ErrRelayKeyMismatch)
		},
	}}
	ctx, cancel := context.WithCancel(context.Background())
	fd.stop = cancel
	rec := newRecorder()
	l := New(Config{Addrs: []string{"a:1", "b:1", "c:1"}, Pin: newKey(t).Public(), Handler: rec,
		OnState: rec.onState, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond, dial: fd.dial})
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	waitFor(t, rec, "pin error", func() bool { return l.State().Phase == PhasePinError })
	time.Sleep(100 * time.Millisecond) // a retry loop would dial c:1 within a millisecond
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := fd.dialled(); !slices.Equal(got, []string{"a:1", "b:1"}) {
		t.Fatalf("dialled %q, want a:1, b:1 and nothing after the mismatch", got)
	}
}

// TestRunNeedsAddress: a Config without any address is refused.
func TestRunNeedsAddress(t *testing.T) {
	err := New(Config{Handler: newRecorder()}).Run(context.Background())
	if err == nil || errors.Is(err, context.Canceled) {
		t.Fatalf("Run without an address: %v", err)
	}
}

// TestSilentRelayRotates: a relay that answers nothing after the
// handshake (it vanished without a QUIC close) is given up after one
// unanswered Ping, and the link moves to the next address.
func TestSilentRelayRotates(t *testing.T) {
	key := newKey(t).Public()
	fd := &fakeDialer{max: 2, conns: map[string]func() (transport, error){
		"a:1": func() (transport, error) { return newFakeTransport(key), nil },
		"b:1": func() (transport, error) { return newFakeTransport(key), nil },
	}}
	_, rec := runFake(t, Config{Addrs: []string{"a:1", "b:1"}, KeepAlive: 5 * time.Millisecond,
		PongTimeout: 20 * time.Millisecond}, fd)
	if got := fd.dialled(); !slices.Equal(got, []string{"a:1", "b:1"}) {
		t.Fatalf("dialled %q", got)
	}
	if len(rec.downs) == 0 || !errors.Is(rec.downs[0], ErrRelaySilent) {
		t.Fatalf("first connection ended with %v, want ErrRelaySilent", rec.downs)
	}
}

// ponger is a fake relay that answers every Ping with a Pong.
type ponger struct {
	*fakeTransport
	mu    sync.Mutex
	pings int
}

func (p *ponger) WriteFrame(f *wire.Frame) error {
	if f.Ping != nil {
		p.mu.Lock()
		p.pings++
		p.mu.Unlock()
		select {
		case p.in <- &wire.Frame{Pong: &wire.Pong{N: f.Ping.N}}:
		case <-p.ctx.Done():
		}
	}
	return p.fakeTransport.WriteFrame(f)
}

func (p *ponger) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pings
}

// TestAnsweredPingsKeepConnection: a relay that answers its Pings is
// never given up as silent, however many Pings go by.
func TestAnsweredPingsKeepConnection(t *testing.T) {
	p := &ponger{fakeTransport: newFakeTransport(newKey(t).Public())}
	fd := &fakeDialer{max: 100, conns: map[string]func() (transport, error){
		"a:1": func() (transport, error) { return p, nil },
	}}
	ctx, cancel := context.WithCancel(context.Background())
	fd.stop = cancel
	rec := newRecorder()
	l := New(Config{Addr: "a:1", Handler: rec, OnState: rec.onState, KeepAlive: time.Millisecond,
		PongTimeout: 50 * time.Millisecond, dial: fd.dial})
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	waitFor(t, rec, "200 answered Pings", func() bool { return p.count() >= 200 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := fd.dialled(); len(got) != 1 {
		t.Fatalf("dialled %q, want one connection kept up", got)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.downs) != 1 || errors.Is(rec.downs[0], ErrRelaySilent) {
		t.Fatalf("downs %v, want one, from the cancellation", rec.downs)
	}
}
