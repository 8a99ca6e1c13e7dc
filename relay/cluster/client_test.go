package cluster

// A minimal daemon over wire/hop + QUIC, the pattern of relay/helper_test.go.

import (
	"context"
	"crypto/rand"
	"net"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/quic-go/quic-go"

	"github.com/securep2p/securep2p/metrics"
	"github.com/securep2p/securep2p/relay"
	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/hop"
	"github.com/securep2p/securep2p/wire/secp"
)

// relayNode is one in-process relay on a cluster Node (or, with node nil,
// on its own bbolt store).
type relayNode struct {
	t      testing.TB
	srv    *relay.Server
	node   *Node
	addr   string
	cancel context.CancelFunc
	done   chan error
}

// startRelayNode runs relay.New on 127.0.0.1:0 with the node's store and
// router (node nil: the embedded defaults). Every node gets key.
func startRelayNode(t testing.TB, node *Node, key *secp.PrivateKey) *relayNode {
	t.Helper()
	cfg := relay.Config{StateDir: t.TempDir(), Key: key, Metrics: metrics.NewRelay(prometheus.NewRegistry()),
		SendRate: 1e9, SendBurst: 1 << 30, FetchRate: 1e6, FetchBurst: 1 << 20, AuthRatePerAddr: 1e6, AuthBurstPerAddr: 1 << 20}
	if node != nil {
		cfg.Store, cfg.Router = node, node.Router()
	}
	srv, err := relay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &relayNode{t: t, srv: srv, node: node, addr: pc.LocalAddr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- srv.Serve(ctx, pc); pc.Close() }()
	t.Cleanup(r.stop)
	return r
}

func (r *relayNode) stop() {
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

func newRelayKey(t testing.TB) *secp.PrivateKey {
	t.Helper()
	k, err := secp.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
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

func (c *client) write(f *wire.Frame) {
	c.t.Helper()
	if err := c.hc.WriteFrame(f); err != nil {
		c.t.Fatalf("write frame: %v", err)
	}
}

// next returns the next frame, failing the test after 10 s.
func (c *client) next() *wire.Frame {
	c.t.Helper()
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

// connectAs dials addr and resumes (or registers when new) u.
func connectAs(t testing.TB, addr string, pin secp.PublicKey, u *user, register bool) *client {
	t.Helper()
	c := dialAddr(t, addr, pin)
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

func (c *client) ack(id []byte) { c.write(&wire.Frame{Ack: &wire.Ack{ID: id}}) }

// callAsync is call for a client used from one goroutine while nothing else
// reads its frames; it reports instead of failing from that goroutine.
func (c *client) callAsync(f *wire.Frame) *wire.Frame {
	c.req++
	f.Req = c.req
	if err := c.hc.WriteFrame(f); err != nil {
		return &wire.Frame{Error: &wire.Error{Code: wire.CodeInternal}}
	}
	for {
		select {
		case g, ok := <-c.frames:
			if !ok {
				return &wire.Frame{Error: &wire.Error{Code: wire.CodeInternal}}
			}
			if g.Req == c.req {
				return g
			}
		case <-time.After(20 * time.Second):
			return &wire.Frame{Error: &wire.Error{Code: wire.CodeInternal}}
		}
	}
}

func (c *client) registerAsync(u *user) *wire.Frame {
	return c.callAsync(&wire.Frame{Register: &wire.Register{Username: u.name, Password: u.password,
		IdentityKey: u.idKey(), SignedPrekey: u.spk, OneTime: u.opks}})
}
