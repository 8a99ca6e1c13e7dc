package relay

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/quic-go/quic-go"

	"github.com/securep2p/securep2p/metrics"
	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/hop"
	"github.com/securep2p/securep2p/wire/secp"
)

// fakeClock is an injectable clock for TTL tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type testRelay struct {
	t      testing.TB
	srv    *Server
	addr   string
	reg    *prometheus.Registry
	m      *metrics.Relay
	cancel context.CancelFunc
	done   chan error
}

// startRelay runs a relay on 127.0.0.1:0. cfg.StateDir defaults to a
// temporary directory.
func startRelay(t testing.TB, cfg Config) *testRelay {
	t.Helper()
	if cfg.StateDir == "" {
		cfg.StateDir = t.TempDir()
	}
	r := &testRelay{t: t, reg: prometheus.NewRegistry()}
	r.m = metrics.NewRelay(r.reg)
	cfg.Metrics = r.m
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.srv, r.cancel, r.done, r.addr = srv, cancel, make(chan error, 1), pc.LocalAddr().String()
	go func() { r.done <- srv.Serve(ctx, pc); pc.Close() }()
	t.Cleanup(r.stop)
	return r
}

func (r *testRelay) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	if err := <-r.done; err != nil {
		r.t.Errorf("Serve: %v", err)
	}
	r.srv.Close()
	r.cancel = nil
}

// user is a daemon's key material for tests.
type user struct {
	name     string
	password string
	identity *secp.PrivateKey
	spk      wire.SignedPrekey
	opks     []wire.Prekey
}

func newUser(t testing.TB, name string, opks int) *user {
	t.Helper()
	id, err := secp.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	u := &user{name: name, password: "correct horse " + name, identity: id}
	u.spk = wire.SignedPrekey{ID: 1, Key: pubKey(t), Signature: id.Sign("test/spk", nil)}
	for i := range opks {
		u.opks = append(u.opks, wire.Prekey{ID: uint32(i + 1), Key: pubKey(t)})
	}
	return u
}

func pubKey(t testing.TB) []byte {
	k, err := secp.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k.Public().Bytes()
}

func (u *user) idKey() []byte { return u.identity.Public().Bytes() }

// client is a minimal daemon built on wire/hop: one reader goroutine that
// queues every frame it reads.
type client struct {
	t      testing.TB
	conn   *quic.Conn
	stream *quic.Stream
	hc     *hop.Conn
	bs     *hop.Stream // nil: writes go straight to the stream
	frames chan *wire.Frame
	rerr   chan error
	req    uint64
}

func dialQUIC(t testing.TB, addr string) (*quic.Conn, *quic.Stream) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := quic.DialAddr(ctx, addr, hop.ClientTLSConfig(), &quic.Config{MaxIdleTimeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	st, err := conn.OpenStreamSync(ctx)
	if err != nil {
		t.Fatalf("open stream: %v", err)
	}
	t.Cleanup(func() { conn.CloseWithError(0, "") })
	return conn, st
}

func dial(t testing.TB, r *testRelay) *client {
	t.Helper()
	return dialAddr(t, r.addr, r.srv.PublicKey())
}

func dialAddr(t testing.TB, addr string, pin secp.PublicKey) *client {
	t.Helper()
	conn, st := dialQUIC(t, addr)
	binding, err := hop.Binding(conn.ConnectionState().TLS)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hc, err := hop.Client(ctx, st, binding, pin)
	if err != nil {
		t.Fatalf("hop handshake: %v", err)
	}
	c := &client{t: t, conn: conn, stream: st, hc: hc, frames: make(chan *wire.Frame, 4096), rerr: make(chan error, 1)}
	go c.readLoop()
	return c
}

func (c *client) readLoop() {
	for {
		f := new(wire.Frame)
		if err := c.hc.ReadFrame(f); err != nil {
			c.rerr <- err
			close(c.frames)
			return
		}
		c.frames <- f
	}
}

// flush writes what a buffered client has buffered.
func (c *client) flush() {
	if c.bs != nil {
		if err := c.bs.Flush(); err != nil {
			c.t.Errorf("flush: %v", err)
		}
	}
}

func (c *client) write(f *wire.Frame) {
	c.t.Helper()
	if err := c.hc.WriteFrame(f); err != nil {
		c.t.Fatalf("write frame: %v", err)
	}
}

// next returns the next frame, failing the test after 10 s.
func (c *client) next() *wire.Frame {
	c.t.Helper()
	if len(c.frames) == 0 {
		c.flush()
	}
	select {
	case f, ok := <-c.frames:
		if !ok {
			c.t.Fatalf("connection closed: %v", <-c.rerr)
		}
		return f
	case <-time.After(10 * time.Second):
		c.t.Fatal("no frame within 10s")
	}
	return nil
}

// closed waits until the relay ends the connection and returns the frames
// read before that.
func (c *client) closed() []*wire.Frame {
	c.t.Helper()
	var got []*wire.Frame
	timeout := time.After(10 * time.Second)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				return got
			}
			got = append(got, f)
		case <-timeout:
			c.t.Fatal("connection not closed within 10s")
		}
	}
}

// call sends a request with a fresh Req and returns the reply.
func (c *client) call(f *wire.Frame) *wire.Frame {
	c.t.Helper()
	c.req++
	f.Req = c.req
	c.write(f)
	got := c.next()
	if got.Req != c.req {
		c.t.Fatalf("reply Req %d, want %d (%v)", got.Req, c.req, got.Type())
	}
	return got
}

// sync proves the relay has nothing more queued for us right now: a Ping's
// Pong arrives after every frame queued before it. It returns those frames.
func (c *client) sync() []*wire.Frame {
	c.t.Helper()
	n := uint64(time.Now().UnixNano())
	c.write(&wire.Frame{Ping: &wire.Ping{N: n}})
	var got []*wire.Frame
	for {
		f := c.next()
		if f.Pong != nil && f.Pong.N == n {
			return got
		}
		got = append(got, f)
	}
}

func (c *client) register(u *user) *wire.Frame {
	return c.call(&wire.Frame{Register: &wire.Register{Username: u.name, Password: u.password,
		IdentityKey: u.idKey(), SignedPrekey: u.spk, OneTime: u.opks}})
}

func (c *client) login(u *user) *wire.Frame {
	return c.call(&wire.Frame{Login: &wire.Login{Username: u.name, Password: u.password, IdentityKey: u.idKey()}})
}

func (c *client) resume(u *user) *wire.Frame {
	sig := u.identity.Sign(hop.ResumeLabel, hop.ResumeMessage(c.hc.SessionID(), u.name))
	return c.call(&wire.Frame{Resume: &wire.Resume{Username: u.name, Signature: sig}})
}

func mustWelcome(t testing.TB, f *wire.Frame) *wire.Welcome {
	t.Helper()
	if f.Welcome == nil {
		t.Fatalf("got %v (%v), want Welcome", f.Type(), errCode(f))
	}
	return f.Welcome
}

func errCode(f *wire.Frame) wire.Code {
	if f.Error == nil {
		return 0
	}
	return f.Error.Code
}

func mustCode(t testing.TB, f *wire.Frame, want wire.Code) {
	t.Helper()
	if f.Error == nil || f.Error.Code != want {
		t.Fatalf("got %v %v, want Error %v", f.Type(), errCode(f), want)
	}
}

// connectAs dials and resumes (or registers when new) u.
func connectAs(t testing.TB, r *testRelay, u *user, register bool) *client {
	t.Helper()
	c := dial(t, r)
	if register {
		mustWelcome(t, c.register(u))
	} else {
		mustWelcome(t, c.resume(u))
	}
	return c
}

func newMsgID() []byte {
	id := make([]byte, wire.IDSize)
	rand.Read(id)
	return id
}

func (c *client) send(id []byte, to *user, body string) {
	c.write(&wire.Frame{Send: &wire.Send{ID: id, To: to.name, Body: []byte(body), IdentityKey: to.idKey()}})
}

// sendOK sends and waits for Accepted.
func (c *client) sendOK(to *user, body string) []byte {
	c.t.Helper()
	id := newMsgID()
	c.send(id, to, body)
	f := c.next()
	if f.Accepted == nil || string(f.Accepted.ID) != string(id) {
		c.t.Fatalf("got %v %v, want Accepted", f.Type(), errCode(f))
	}
	return id
}

// closeCode returns the QUIC application error code the relay closed with.
func closeCode(t testing.TB, conn *quic.Conn) wire.Code {
	t.Helper()
	select {
	case <-conn.Context().Done():
	case <-time.After(10 * time.Second):
		t.Fatal("connection still open")
	}
	var ae *quic.ApplicationError
	if errors.As(context.Cause(conn.Context()), &ae) {
		return wire.Code(ae.ErrorCode)
	}
	return 0
}

// value reads a counter or gauge.
func value(c prometheus.Metric) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}
