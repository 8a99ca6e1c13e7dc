package relay

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/securep2p/securep2p/metrics"
	"github.com/securep2p/securep2p/relay/relaytest/hopclient"
	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/hop"
)

// stillServes proves the relay keeps serving others after bad input.
func stillServes(t *testing.T, r *testRelay) {
	t.Helper()
	c := dial(t, r)
	if f := c.Call(&wire.Frame{Ping: &wire.Ping{N: 1}}); f.Pong == nil {
		t.Fatal("relay stopped serving")
	}
}

func lastError(frames []*wire.Frame) wire.Code {
	if len(frames) == 0 {
		return 0
	}
	return hopclient.ErrCode(frames[len(frames)-1])
}

func TestGarbageBeforeHandshake(t *testing.T) {
	r := startRelay(t, Config{})
	conn, st := hopclient.DialQUIC(t, r.addr)
	st.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	if code := closeCode(t, conn); code != wire.CodeHandshake {
		t.Fatalf("closed with %v, want %v", code, wire.CodeHandshake)
	}
	if v := value(r.m.BadInput.WithLabelValues(metrics.BadHandshake)); v != 1 {
		t.Fatalf("bad handshake count %v", v)
	}
	stillServes(t, r)
}

func TestOversizedHelloBeforeHandshake(t *testing.T) {
	r := startRelay(t, Config{})
	conn, st := hopclient.DialQUIC(t, r.addr)
	st.Write(binary.BigEndian.AppendUint32(nil, 1<<30))
	if code := closeCode(t, conn); code != wire.CodeHandshake {
		t.Fatalf("closed with %v", code)
	}
	stillServes(t, r)
}

func TestSealedGarbageAfterHandshake(t *testing.T) {
	r := startRelay(t, Config{})
	c := dial(t, r)
	junk := make([]byte, 64)
	rand.Read(junk)
	c.Stream.Write(binary.BigEndian.AppendUint32(nil, uint32(len(junk))))
	c.Stream.Write(junk) // fails AES-GCM authentication at the relay
	if code := lastError(c.Closed()); code != wire.CodeBadFrame {
		t.Fatalf("last frame code %v, want %v", code, wire.CodeBadFrame)
	}
	if v := value(r.m.BadInput.WithLabelValues(metrics.BadFrame)); v != 1 {
		t.Fatalf("bad frame count %v", v)
	}
	stillServes(t, r)
}

func TestOversizedPacketAfterHandshake(t *testing.T) {
	r := startRelay(t, Config{})
	c := dial(t, r)
	c.Stream.Write(binary.BigEndian.AppendUint32(nil, hop.MaxSealedBody+1))
	if code := lastError(c.Closed()); code != wire.CodeBadFrame {
		t.Fatalf("last frame code %v", code)
	}
	stillServes(t, r)
}

func TestUnexpectedFrameType(t *testing.T) {
	r := startRelay(t, Config{})
	c := dial(t, r)
	c.Write(&wire.Frame{Welcome: &wire.Welcome{Username: "alice"}})
	if code := lastError(c.Closed()); code != wire.CodeBadFrame {
		t.Fatalf("last frame code %v", code)
	}
	if v := value(r.m.BadInput.WithLabelValues(metrics.BadUnexpected)); v != 1 {
		t.Fatalf("unexpected frame count %v", v)
	}
	stillServes(t, r)
}

func TestInvalidKeyInUpload(t *testing.T) {
	r := startRelay(t, Config{})
	c := connectAs(t, r, hopclient.NewUser(t, "alice", 0), true)
	bad := make([]byte, wire.KeySize)
	bad[0] = 0x04
	f := c.Call(&wire.Frame{UploadPrekeys: &wire.UploadPrekeys{OneTime: []wire.Prekey{{ID: 1, Key: bad}}}})
	hopclient.MustCode(t, f, wire.CodeBadKey)
	if v := value(r.m.BadInput.WithLabelValues(metrics.BadKey)); v != 1 {
		t.Fatalf("invalid key count %v", v)
	}
}

func TestRandomUDPDatagrams(t *testing.T) {
	r := startRelay(t, Config{})
	u, err := net.Dial("udp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	buf := make([]byte, 1200)
	for range 200 {
		rand.Read(buf)
		u.Write(buf)
	}
	stillServes(t, r)
}

func TestHandshakeTimeout(t *testing.T) {
	r := startRelay(t, Config{HandshakeTimeout: 300 * time.Millisecond})
	conn, st := hopclient.DialQUIC(t, r.addr)
	st.Write([]byte{0}) // opens the stream, never completes a hello
	if code := closeCode(t, conn); code != wire.CodeHandshake {
		t.Fatalf("closed with %v", code)
	}
	if v := value(r.m.Handshakes.WithLabelValues(metrics.ResultTimeout)); v != 1 {
		t.Fatalf("handshake timeouts %v", v)
	}
}

func TestHandshakeTimeoutNoStream(t *testing.T) {
	r := startRelay(t, Config{HandshakeTimeout: 300 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := quic.DialAddr(ctx, r.addr, hop.ClientTLSConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if code := closeCode(t, conn); code != wire.CodeHandshake {
		t.Fatalf("closed with %v", code)
	}
}

func TestIdleTimeout(t *testing.T) {
	r := startRelay(t, Config{IdleTimeout: 500 * time.Millisecond})
	c := connectAs(t, r, hopclient.NewUser(t, "alice", 0), true)
	c.Closed() // the relay (and QUIC) close a silent connection
	waitFor(t, func() bool { return value(r.m.Connections) == 0 })
}

func TestConnectionsPerAddressCap(t *testing.T) {
	r := startRelay(t, Config{MaxConnsPerAddr: 2})
	dial(t, r)
	dial(t, r)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	conn, err := quic.DialAddr(ctx, r.addr, hop.ClientTLSConfig(), nil)
	if err == nil {
		conn.CloseWithError(0, "")
		t.Fatal("third connection from one address accepted")
	}
	if v := value(r.m.RateLimited.WithLabelValues(metrics.ScopeConnection)); v < 1 {
		t.Fatalf("connection cap trips %v", v)
	}
}

func TestShutdownSendsShuttingDown(t *testing.T) {
	r := startRelay(t, Config{})
	c := dial(t, r)
	c.Sync()
	r.stop()
	if code := lastError(c.Closed()); code != wire.CodeShuttingDown {
		t.Fatalf("last frame code %v", code)
	}
}
