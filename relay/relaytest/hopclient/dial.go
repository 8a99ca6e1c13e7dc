package hopclient

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/hop"
	"github.com/securep2p/securep2p/wire/secp"
)

// DialQUIC opens a QUIC connection to addr (ALPN hop.ALPN) and its one
// bidirectional stream, without the hop handshake. The connection closes
// when the test ends.
func DialQUIC(tb testing.TB, addr string) (*quic.Conn, *quic.Stream) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := quic.DialAddr(ctx, addr, hop.ClientTLSConfig(), &quic.Config{MaxIdleTimeout: 30 * time.Second})
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	st, err := conn.OpenStreamSync(ctx)
	if err != nil {
		tb.Fatalf("open stream: %v", err)
	}
	tb.Cleanup(func() { conn.CloseWithError(0, "") })
	return conn, st
}

// Dial connects to the relay at addr, runs the hop handshake pinning pin
// (offering wire.ProtocolVersion) and starts the reader goroutine.
// Failures fail the test.
func Dial(tb testing.TB, addr string, pin secp.PublicKey) *Client {
	tb.Helper()
	return DialVersion(tb, addr, pin, wire.ProtocolVersion)
}

// DialVersion is Dial offering protocol version v (hop.ClientVersion): a
// test acting as an older daemon passes 1.
func DialVersion(tb testing.TB, addr string, pin secp.PublicKey, v uint64) *Client {
	tb.Helper()
	conn, st := DialQUIC(tb, addr)
	hc := handshake(tb, conn, st, pin, v)
	c := New(tb, conn, st, hc)
	go c.ReadLoop()
	return c
}

// DialBuffered is Dial with the client's writes buffered like the relay's
// (a pipelining daemon coalesces its frames too): Next flushes when
// nothing is queued, otherwise call Flush before waiting for an answer.
func DialBuffered(tb testing.TB, addr string, pin secp.PublicKey) *Client {
	tb.Helper()
	return DialBufferedVersion(tb, addr, pin, wire.ProtocolVersion)
}

// DialBufferedVersion is DialBuffered offering protocol version v.
func DialBufferedVersion(tb testing.TB, addr string, pin secp.PublicKey, v uint64) *Client {
	tb.Helper()
	conn, st := DialQUIC(tb, addr)
	bs := hop.NewStream(st)
	hc := handshake(tb, conn, bs, pin, v)
	bs.Buffer()
	c := New(tb, conn, st, hc)
	c.bs = bs
	go c.ReadLoop()
	return c
}

// handshake runs the hop handshake on rw offering version v, bound to
// conn's TLS session.
func handshake(tb testing.TB, conn *quic.Conn, rw io.ReadWriter, pin secp.PublicKey, v uint64) *hop.Conn {
	tb.Helper()
	binding, err := hop.Binding(conn.ConnectionState().TLS)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hc, err := hop.ClientVersion(ctx, rw, binding, pin, v)
	if err != nil {
		tb.Fatalf("hop handshake: %v", err)
	}
	return hc
}

// Connect dials addr and resumes u, or registers u when register is set,
// failing the test unless the relay answers Welcome.
func Connect(tb testing.TB, addr string, pin secp.PublicKey, u *User, register bool) *Client {
	tb.Helper()
	c := Dial(tb, addr, pin)
	if register {
		MustWelcome(tb, c.Register(u))
	} else {
		MustWelcome(tb, c.Resume(u))
	}
	return c
}

// MustWelcome fails the test unless f is a Welcome, and returns it.
func MustWelcome(tb testing.TB, f *wire.Frame) *wire.Welcome {
	tb.Helper()
	if f.Welcome == nil {
		tb.Fatalf("got %v (%v), want Welcome", f.Type(), ErrCode(f))
	}
	return f.Welcome
}

// MustCode fails the test unless f is an Error with code want.
func MustCode(tb testing.TB, f *wire.Frame, want wire.Code) {
	tb.Helper()
	if f.Error == nil || f.Error.Code != want {
		tb.Fatalf("got %v %v, want Error %v", f.Type(), ErrCode(f), want)
	}
}

// ErrCode returns f's error code, 0 when f is not an Error.
func ErrCode(f *wire.Frame) wire.Code {
	if f.Error == nil {
		return 0
	}
	return f.Error.Code
}
