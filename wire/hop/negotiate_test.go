package hop

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

// Version negotiation (wire/PROTOCOL.md section 2.2): the relay accepts a
// ClientHello version from wire.MinProtocolVersion to wire.ProtocolVersion
// and echoes it; the client requires the echo; both versions are in the
// signed transcript.

// versionPair runs ClientVersion(v) against a real Server over net.Pipe.
func versionPair(t *testing.T, v uint64) (cli, srv result) {
	t.Helper()
	key := newKey(t)
	ce, se := net.Pipe()
	t.Cleanup(func() { ce.Close(); se.Close() })
	done := make(chan result, 1)
	go func() {
		c, err := Server(testCtx(t), se, bindingOf(3), key)
		done <- result{c, err}
	}()
	c, err := ClientVersion(testCtx(t), ce, bindingOf(3), key.Public(), v)
	return result{c, err}, <-done
}

// roundTrip sends f from one end and reads it at the other.
func roundTrip(t *testing.T, from, to *Conn, f *wire.Frame) {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- from.WriteFrame(f) }()
	var got wire.Frame
	if err := to.ReadFrame(&got); err != nil {
		t.Fatalf("reading %d frame: %v", f.Type(), err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	want, _ := wire.Marshal(f)
	if b, _ := wire.Marshal(&got); !bytes.Equal(b, want) {
		t.Fatalf("frame arrived as %x, sent %x", b, want)
	}
}

func TestNegotiateVersion1Client(t *testing.T) {
	c, s := versionPair(t, 1)
	if c.err != nil || s.err != nil {
		t.Fatalf("client %v, server %v", c.err, s.err)
	}
	if c.conn.Version() != 1 || s.conn.Version() != 1 {
		t.Fatalf("negotiated client %d, relay %d, want 1", c.conn.Version(), s.conn.Version())
	}
	roundTrip(t, c.conn, s.conn, &wire.Frame{Ack: &wire.Ack{ID: bytes.Repeat([]byte{1}, wire.IDSize)}})
	roundTrip(t, s.conn, c.conn, ping(5))
}

func TestNegotiateDefaultClient(t *testing.T) {
	key := newKey(t)
	c, s := handshakePair(t, bindingOf(4), bindingOf(4), key.Public(), key)
	if c.err != nil || s.err != nil {
		t.Fatalf("client %v, server %v", c.err, s.err)
	}
	if c.conn.Version() != 2 || s.conn.Version() != 2 || wire.ProtocolVersion != 2 {
		t.Fatalf("negotiated client %d, relay %d, want 2", c.conn.Version(), s.conn.Version())
	}
	more := [][]byte{bytes.Repeat([]byte{2}, wire.IDSize), bytes.Repeat([]byte{3}, wire.IDSize)}
	roundTrip(t, c.conn, s.conn, &wire.Frame{Ack: &wire.Ack{ID: bytes.Repeat([]byte{1}, wire.IDSize), More: more}})
	roundTrip(t, s.conn, c.conn, &wire.Frame{Accepted: &wire.Accepted{ID: bytes.Repeat([]byte{1}, wire.IDSize), More: more}})
}

// offerVersion sends a ClientHello with version v (encoded without
// validation) to a real Server, reads the answer the way Client does, and
// returns the client-side and relay-side errors.
func offerVersion(t *testing.T, v uint64) (clientErr, serverErr error) {
	t.Helper()
	hello := &wire.ClientHello{Version: v, Ephemeral: newKey(t).Public().Bytes(), Nonce: make([]byte, wire.NonceSize)}
	serverErr = sendRawHello(t, hello, func(r io.Reader) { _, clientErr = readServerHello(r, v) })
	return clientErr, serverErr
}

func expectCodeVersion(t *testing.T, clientErr, serverErr error) {
	t.Helper()
	var remote *wire.RemoteError
	if !errors.As(clientErr, &remote) || remote.Code != wire.CodeVersion {
		t.Fatalf("client: %v, want a *wire.RemoteError with CodeVersion", clientErr)
	}
	if !strings.Contains(remote.Error(), "relay speaks protocol versions 1 to 2") {
		t.Fatalf("relay's message: %v", remote)
	}
	if !errors.Is(serverErr, ErrHandshake) {
		t.Fatalf("server: %v, want ErrHandshake", serverErr)
	}
}

func TestNegotiateClientHelloVersion0(t *testing.T) {
	clientErr, serverErr := offerVersion(t, 0)
	expectCodeVersion(t, clientErr, serverErr)
}

func TestNegotiateClientHelloVersion3(t *testing.T) {
	clientErr, serverErr := offerVersion(t, 3)
	expectCodeVersion(t, clientErr, serverErr)
}

// TestNegotiateClientVersion3Refused runs the client's own handshake code
// offering 3 (out of ClientVersion's reach) against a real Server.
func TestNegotiateClientVersion3Refused(t *testing.T) {
	key := newKey(t)
	ce, se := net.Pipe()
	defer ce.Close()
	go func() {
		_, _ = Server(testCtx(t), se, bindingOf(1), key)
		se.Close()
	}()
	in := &fixedInputs{eph: newKey(t), nonce: make([]byte, wire.NonceSize)}
	_, err := client(testCtx(t), ce, bindingOf(1), key.Public(), 3, in)
	var remote *wire.RemoteError
	if !errors.Is(err, ErrHandshake) || !errors.As(err, &remote) || remote.Code != wire.CodeVersion {
		t.Fatalf("client: %v, want ErrHandshake wrapping a remote CodeVersion", err)
	}
}

// signingRelay answers one ClientHello with a ServerHello of version
// answer, correctly signed over that version: only the client's version
// check can refuse it.
func signingRelay(t *testing.T, key *secp.PrivateKey, offer, answer uint64) error {
	t.Helper()
	return fakeRelayVersions(t, key, offer, answer, func(*wire.ServerHello) {})
}

func TestNegotiateSigningRelayHonest(t *testing.T) {
	for _, v := range []uint64{1, 2} {
		if err := signingRelay(t, newKey(t), v, v); err != nil {
			t.Fatalf("version %d: the relay echoing the offer must be accepted: %v", v, err)
		}
	}
}

func TestNegotiateRelayAnswersOlderVersion(t *testing.T) {
	err := signingRelay(t, newKey(t), 2, 1)
	if !errors.Is(err, ErrHandshake) || !strings.Contains(err.Error(), "relay protocol version 1, client speaks 2") {
		t.Fatalf("client: %v, want ErrHandshake naming the versions", err)
	}
}

func TestNegotiateRelayAnswersNewerVersion(t *testing.T) {
	err := signingRelay(t, newKey(t), 1, 2)
	if !errors.Is(err, ErrHandshake) || !strings.Contains(err.Error(), "relay protocol version 2, client speaks 1") {
		t.Fatalf("client: %v, want ErrHandshake naming the versions", err)
	}
}

// noIO fails the test on any read or write.
type noIO struct{ t *testing.T }

func (n noIO) Read([]byte) (int, error) {
	n.t.Error("ClientVersion read before checking the version")
	return 0, io.EOF
}

func (n noIO) Write([]byte) (int, error) {
	n.t.Error("ClientVersion wrote before checking the version")
	return 0, io.ErrClosedPipe
}

func TestClientVersion0RefusedBeforeIO(t *testing.T) {
	c, err := ClientVersion(context.Background(), noIO{t}, bindingOf(1), secp.PublicKey{}, 0)
	if !errors.Is(err, ErrHandshake) || c != nil {
		t.Fatalf("ClientVersion(0) = %v, %v; want ErrHandshake", c, err)
	}
}

func TestClientVersion3RefusedBeforeIO(t *testing.T) {
	c, err := ClientVersion(context.Background(), noIO{t}, bindingOf(1), secp.PublicKey{}, 3)
	if !errors.Is(err, ErrHandshake) || c != nil {
		t.Fatalf("ClientVersion(3) = %v, %v; want ErrHandshake", c, err)
	}
}

// TestTranscriptBindsServerVersion: the relay's signature covers the
// ServerHello's version. The version-1 vector's ServerHello with its
// version byte changed to 2 (everything else, the signature included, as
// the relay sent it) fails the signature check; clientFinish is the part of
// the client that runs after the version comparison.
func TestTranscriptBindsServerVersion(t *testing.T) {
	v := newVectors(t)
	sh := bytes.Clone(v.serverHello)
	const versionByte = wire.PacketHeaderSize + 4 // a1 02 a5 01 <version>
	if sh[versionByte] != 1 {
		t.Fatalf("vector ServerHello %x: version byte not at %d", sh, versionByte)
	}
	for _, version := range []byte{1, 2} {
		sh[versionByte] = version
		var f wire.Frame
		if err := wire.Unmarshal(sh[wire.PacketHeaderSize:], &f); err != nil {
			t.Fatal(err)
		}
		_, err := clientFinish(readWriter{nil, io.Discard}, v.binding, fixedKey(t, 0x11).Public(),
			fixedKey(t, 0x22), v.clientHello[wire.PacketHeaderSize:], f.ServerHello)
		switch {
		case version == 1 && err != nil:
			t.Fatalf("the unchanged ServerHello must verify: %v", err)
		case version == 2 && (!errors.Is(err, ErrHandshake) || !strings.Contains(err.Error(), "does not verify")):
			t.Fatalf("ServerHello version changed to 2: %v, want the signature check to fail", err)
		}
	}
}

// versionRewriter is a man in the middle on the handshake stream that
// rewrites the version byte of each hello packet it forwards.
type versionRewriter struct {
	net.Conn
	from, to byte
}

func (m *versionRewriter) Write(p []byte) (int, error) {
	const versionByte = wire.PacketHeaderSize + 4 // a1 01|02 a3|a5 01 <version>
	if len(p) > versionByte && p[versionByte] == m.from {
		p = bytes.Clone(p)
		p[versionByte] = m.to
	}
	return m.Conn.Write(p)
}

// TestHandshakeDowngradeDetected: a man in the middle turns a version-2
// ClientHello into version 1 towards the relay and the relay's version-1
// ServerHello back into version 2. The version checks pass on both ends,
// but the relay signed a transcript holding the version-1 hellos, not the
// ones the client has: the client refuses the signature.
func TestHandshakeDowngradeDetected(t *testing.T) {
	key := newKey(t)
	ce, se := net.Pipe()
	defer ce.Close()
	done := make(chan result, 1)
	go func() {
		c, err := Server(testCtx(t), &versionRewriter{Conn: se, from: 1, to: 2}, bindingOf(1), key)
		done <- result{c, err}
	}()
	_, err := Client(testCtx(t), &versionRewriter{Conn: ce, from: 2, to: 1}, bindingOf(1), key.Public())
	ce.Close()
	s := <-done
	if s.err != nil || s.conn.Version() != 1 {
		t.Fatalf("relay side: %v; the relay must have accepted the rewritten version 1", s.err)
	}
	if !errors.Is(err, ErrHandshake) || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("client: %v, want the signature check to fail", err)
	}
}
