package link

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/securep2p/securep2p/relay"
	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

// testRelay is a real relay on 127.0.0.1 with a given key.
type testRelay struct {
	addr string
	stop func() // ends Serve: open connections get CodeShuttingDown
}

func startRelay(t *testing.T, key *secp.PrivateKey) *testRelay {
	t.Helper()
	srv, err := relay.New(relay.Config{StateDir: t.TempDir(), Key: key})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ctx, pc) }()
	var once sync.Once
	r := &testRelay{addr: pc.LocalAddr().String(), stop: func() {
		once.Do(func() { cancel(); <-done; _ = pc.Close(); _ = srv.Close() })
	}}
	t.Cleanup(r.stop)
	return r
}

func newKey(t *testing.T) *secp.PrivateKey {
	t.Helper()
	k, err := secp.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// recorder is a Handler and OnState sink that keeps what it saw.
type recorder struct {
	mu     sync.Mutex
	ups    int
	downs  []error
	states []State
	pins   []secp.PublicKey
	change chan struct{} // signalled on every event (buffered 1)
}

func newRecorder() *recorder { return &recorder{change: make(chan struct{}, 1)} }

func (r *recorder) signal() {
	select {
	case r.change <- struct{}{}:
	default:
	}
}

func (r *recorder) Up(context.Context, *Conn) error {
	r.mu.Lock()
	r.ups++
	r.mu.Unlock()
	r.signal()
	return nil
}

func (r *recorder) Frame(*Conn, *wire.Frame) {}

func (r *recorder) Down(_ *Conn, err error) {
	r.mu.Lock()
	r.downs = append(r.downs, err)
	r.mu.Unlock()
	r.signal()
}

func (r *recorder) onState(s State) {
	r.mu.Lock()
	r.states = append(r.states, s)
	r.mu.Unlock()
	r.signal()
}

func (r *recorder) recordPin(k secp.PublicKey) error {
	r.mu.Lock()
	r.pins = append(r.pins, k)
	r.mu.Unlock()
	return nil
}

func (r *recorder) pinCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pins)
}

// running is a Link whose Run goroutine the test stops.
type running struct {
	l      *Link
	cancel context.CancelFunc
	done   chan error
}

func run(t *testing.T, cfg Config) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{l: New(cfg), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- r.l.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels Run and checks it returned nil.
func (r *running) stop(t *testing.T) {
	r.cancel()
	if err := <-r.done; err != nil {
		t.Errorf("Run: %v", err)
	}
	r.done <- nil // a second stop returns at once
}

// waitFor waits until cond holds, re-checking on every recorded event.
func waitFor(t *testing.T, rec *recorder, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-rec.change:
		case <-tick.C:
		case <-deadline:
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

func waitConnected(t *testing.T, rec *recorder, l *Link, addr string) {
	t.Helper()
	waitFor(t, rec, "connected to "+addr, func() bool {
		s := l.State()
		return s.Phase == PhaseConnected && s.Addr == addr
	})
}

// countingDial wraps d and counts the dials per address.
type countingDial struct {
	mu    sync.Mutex
	addrs []string
	d     dialFunc
}

func (c *countingDial) dial(ctx context.Context, addr string, pin secp.PublicKey, ka time.Duration) (transport, error) {
	c.mu.Lock()
	c.addrs = append(c.addrs, addr)
	c.mu.Unlock()
	return c.d(ctx, addr, pin, ka)
}

func (c *countingDial) dialled() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.addrs...)
}

// fakeTransport is an in-memory transport: ReadFrame returns the frames
// put into in, then blocks until the transport is closed.
type fakeTransport struct {
	in     chan *wire.Frame
	ctx    context.Context
	cancel context.CancelCauseFunc
	key    secp.PublicKey
}

func newFakeTransport(key secp.PublicKey) *fakeTransport {
	ctx, cancel := context.WithCancelCause(context.Background())
	return &fakeTransport{in: make(chan *wire.Frame, 8), ctx: ctx, cancel: cancel, key: key}
}

var errFakeClosed = errors.New("fake transport closed")

func (f *fakeTransport) ReadFrame(fr *wire.Frame) error {
	select {
	case x := <-f.in:
		*fr = *x
		return nil
	case <-f.ctx.Done():
		return context.Cause(f.ctx)
	}
}

func (f *fakeTransport) WriteFrame(*wire.Frame) error { return context.Cause(f.ctx) }
func (f *fakeTransport) Stats() Stats                 { return Stats{} }
func (f *fakeTransport) Version() uint64              { return wire.ProtocolVersion }
func (f *fakeTransport) Flush() error                 { return context.Cause(f.ctx) }
func (f *fakeTransport) SessionID() [32]byte          { return [32]byte{1} }
func (f *fakeTransport) RelayKey() secp.PublicKey     { return f.key }
func (f *fakeTransport) Context() context.Context     { return f.ctx }
func (f *fakeTransport) CloseWrite() error            { return nil }
func (f *fakeTransport) Close() error                 { f.cancel(errFakeClosed); return nil }
