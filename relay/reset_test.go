package relay

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/quic-go/quic-go"

	"github.com/securep2p/securep2p/metrics"
	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/hop"
	"github.com/securep2p/securep2p/wire/secp"
)

// resetBound bounds how long a daemon may take to notice a restarted
// relay: a hang guard far below the idle timeouts (60 s relay, 30 s
// client), not a performance assertion.
const resetBound = 5 * time.Second

// incarnation is one relay process on a fixed UDP address. kill drops it
// the way SIGKILL does: the socket closes first, so no CONNECTION_CLOSE
// leaves.
type incarnation struct {
	srv    *Server
	pc     net.PacketConn
	cancel context.CancelFunc
	done   chan error
}

func startIncarnation(t *testing.T, dir, addr string, key *secp.PrivateKey) *incarnation {
	t.Helper()
	srv, err := New(Config{StateDir: dir, Key: key, IdleTimeout: time.Minute,
		Metrics: metrics.NewRelay(prometheus.NewRegistry())})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	in := &incarnation{srv: srv, pc: pc, cancel: cancel, done: make(chan error, 1)}
	go func() { in.done <- srv.Serve(ctx, pc) }()
	t.Cleanup(in.kill)
	return in
}

func (in *incarnation) kill() {
	if in.cancel == nil {
		return
	}
	in.pc.Close()
	in.cancel()
	<-in.done
	in.srv.Close()
	in.cancel = nil
}

// dialIdle connects with the hop handshake and proves the relay serves
// the connection (Ping/Pong).
func dialIdle(t *testing.T, addr string, pin secp.PublicKey) (*quic.Conn, *hop.Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := quic.DialAddr(ctx, addr, hop.ClientTLSConfig(), &quic.Config{MaxIdleTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseWithError(0, "") })
	st, err := conn.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	binding, err := hop.Binding(conn.ConnectionState().TLS)
	if err != nil {
		t.Fatal(err)
	}
	hc, err := hop.Client(ctx, st, binding, pin)
	if err != nil {
		t.Fatal(err)
	}
	if err := hc.WriteFrame(&wire.Frame{Ping: &wire.Ping{N: 1}}); err != nil {
		t.Fatal(err)
	}
	var f wire.Frame
	if err := hc.ReadFrame(&f); err != nil || f.Pong == nil {
		t.Fatalf("ping: %v %+v", err, f)
	}
	return conn, hc
}

// restartAndPing kills the relay the client is connected to, starts next
// on the same address and makes the client send.
func restartAndPing(t *testing.T, key, nextKey *secp.PrivateKey) error {
	t.Helper()
	dir := t.TempDir()
	a := startIncarnation(t, dir, "127.0.0.1:0", key)
	addr := a.pc.LocalAddr().String()
	conn, hc := dialIdle(t, addr, key.Public())
	a.kill()
	startIncarnation(t, dir, addr, nextKey)
	_ = hc.WriteFrame(&wire.Frame{Ping: &wire.Ping{N: 2}})
	select {
	case <-conn.Context().Done():
		return context.Cause(conn.Context())
	case <-time.After(resetBound):
		return nil
	}
}

func TestStatelessResetAfterRestart(t *testing.T) {
	key := newRelayKey(t)
	err := restartAndPing(t, key, key)
	var reset *quic.StatelessResetError
	if !errors.As(err, &reset) {
		t.Fatalf("connection to the killed relay: %v within %v, want a stateless reset", err, resetBound)
	}
}

// TestStatelessResetNeedsRelayKey: a relay with another key on the same
// address cannot end the old relay's connections (its reset tokens do not
// match), so the reset is bound to the relay key.
func TestStatelessResetNeedsRelayKey(t *testing.T) {
	err := restartAndPing(t, newRelayKey(t), newRelayKey(t))
	var reset *quic.StatelessResetError
	if errors.As(err, &reset) {
		t.Fatal("a relay with a different key reset the connection")
	}
}

func TestStatelessResetKeyStable(t *testing.T) {
	key := newRelayKey(t)
	k1, err := statelessResetKey(key)
	if err != nil {
		t.Fatal(err)
	}
	reloaded, err := secp.ParsePrivateKey(key.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	k2, err := statelessResetKey(reloaded)
	if err != nil {
		t.Fatal(err)
	}
	if *k1 != *k2 {
		t.Fatal("the reset key differs for the same relay key")
	}
	if *k1 == (quic.StatelessResetKey{}) {
		t.Fatal("zero reset key")
	}
}

func TestStatelessResetKeyDiffersPerRelayKey(t *testing.T) {
	k1, err := statelessResetKey(newRelayKey(t))
	if err != nil {
		t.Fatal(err)
	}
	k2, err := statelessResetKey(newRelayKey(t))
	if err != nil {
		t.Fatal(err)
	}
	if *k1 == *k2 {
		t.Fatal("two relay keys gave the same reset key")
	}
}

// TestStatelessResetKeyIsNotRelayKey: the reset key (whose tokens travel
// in clear) is derived, never the raw private key.
func TestStatelessResetKeyIsNotRelayKey(t *testing.T) {
	key := newRelayKey(t)
	k, err := statelessResetKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(k[:], key.Bytes()) {
		t.Fatal("the reset key is the raw relay key")
	}
}

func newRelayKey(t *testing.T) *secp.PrivateKey {
	t.Helper()
	k, err := secp.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}
