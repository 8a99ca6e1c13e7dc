package hop

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

func bindingOf(b byte) []byte { return bytes.Repeat([]byte{b}, BindingSize) }

func newKey(t testing.TB) *secp.PrivateKey {
	t.Helper()
	k, err := secp.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func fixedKey(t testing.TB, b byte) *secp.PrivateKey {
	t.Helper()
	k, err := secp.ParsePrivateKey(bytes.Repeat([]byte{b}, secp.PrivateKeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

type result struct {
	conn *Conn
	err  error
}

// handshakePair runs Client and Server over net.Pipe with the given
// bindings and returns both results.
func handshakePair(t testing.TB, cb, sb []byte, pin secp.PublicKey, key *secp.PrivateKey) (cli, srv result) {
	t.Helper()
	ce, se := net.Pipe()
	t.Cleanup(func() { ce.Close(); se.Close() })
	ctx := testCtx(t)
	done := make(chan result, 1)
	go func() {
		c, err := Server(ctx, se, sb, key)
		if err != nil {
			se.Close() // a real relay closes the stream after a failed handshake
		}
		done <- result{c, err}
	}()
	c, err := Client(ctx, ce, cb, pin)
	if err != nil {
		ce.Close()
	}
	return result{c, err}, <-done
}

// connPair returns two connected Conns whose rw is unset: tests move
// packets between them by hand with sealTo and feed.
func connPair(t testing.TB) (cli, srv *Conn) {
	t.Helper()
	key := newKey(t)
	c, s := handshakePair(t, bindingOf(1), bindingOf(1), key.Public(), key)
	if c.err != nil || s.err != nil {
		t.Fatalf("handshake: client %v, server %v", c.err, s.err)
	}
	c.conn.rw, s.conn.rw = nil, nil
	return c.conn, s.conn
}

type readWriter struct {
	io.Reader
	io.Writer
}

// sealTo makes c write f and returns the sealed packet bytes.
func sealTo(t testing.TB, c *Conn, f *wire.Frame) []byte {
	t.Helper()
	var buf bytes.Buffer
	c.rw = readWriter{nil, &buf}
	if err := c.WriteFrame(f); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// feed makes c read one frame from the given bytes.
func feed(c *Conn, packets ...[]byte) (*wire.Frame, error) {
	c.rw = readWriter{bytes.NewReader(bytes.Join(packets, nil)), io.Discard}
	var f wire.Frame
	err := c.ReadFrame(&f)
	return &f, err
}

func ping(n uint64) *wire.Frame { return &wire.Frame{Ping: &wire.Ping{N: n}} }
