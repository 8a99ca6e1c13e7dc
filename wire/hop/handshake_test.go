package hop

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

func TestHandshake(t *testing.T) {
	key := newKey(t)
	c, s := handshakePair(t, bindingOf(7), bindingOf(7), key.Public(), key)
	if c.err != nil || s.err != nil {
		t.Fatalf("client %v, server %v", c.err, s.err)
	}
	if c.conn.SessionID() != s.conn.SessionID() {
		t.Fatal("session ids differ")
	}
	if c.conn.RelayKey() != key.Public() || s.conn.RelayKey() != key.Public() {
		t.Fatal("relay key not reported")
	}
	go func() { _ = s.conn.WriteFrame(ping(9)) }()
	var f wire.Frame
	if err := c.conn.ReadFrame(&f); err != nil || f.Ping == nil || f.Ping.N != 9 {
		t.Fatalf("frame over the pipe: %+v, %v", f, err)
	}
}

func TestHandshakeSessionIDsUnique(t *testing.T) {
	key := newKey(t)
	a, _ := handshakePair(t, bindingOf(7), bindingOf(7), key.Public(), key)
	b, _ := handshakePair(t, bindingOf(7), bindingOf(7), key.Public(), key)
	if a.err != nil || b.err != nil {
		t.Fatal(a.err, b.err)
	}
	if a.conn.SessionID() == b.conn.SessionID() {
		t.Fatal("two handshakes gave the same session id")
	}
}

func TestHandshakeRelayKeyMismatch(t *testing.T) {
	key, other := newKey(t), newKey(t)
	c, _ := handshakePair(t, bindingOf(7), bindingOf(7), other.Public(), key)
	if !errors.Is(c.err, ErrRelayKeyMismatch) {
		t.Fatalf("client: %v, want ErrRelayKeyMismatch", c.err)
	}
	if strings.Contains(c.err.Error(), fmt.Sprintf("%x", key.Bytes())) {
		t.Fatal("error leaks a private key")
	}
}

func TestHandshakeTOFU(t *testing.T) {
	key := newKey(t)
	first, _ := handshakePair(t, bindingOf(7), bindingOf(7), secp.PublicKey{}, key)
	if first.err != nil {
		t.Fatalf("first use: %v", first.err)
	}
	pin := first.conn.RelayKey()
	if pin != key.Public() {
		t.Fatal("trust on first use recorded another key")
	}
	again, _ := handshakePair(t, bindingOf(8), bindingOf(8), pin, key)
	if again.err != nil {
		t.Fatalf("with the recorded pin: %v", again.err)
	}
	swapped, _ := handshakePair(t, bindingOf(9), bindingOf(9), pin, newKey(t))
	if !errors.Is(swapped.err, ErrRelayKeyMismatch) {
		t.Fatalf("after the relay key changed: %v, want ErrRelayKeyMismatch", swapped.err)
	}
}

// A TLS man-in-the-middle terminates the client's TLS and opens its own to
// the relay, so each side's exporter value differs; relaying the hop
// handshake between them must fail.
func TestHandshakeChannelBindingMismatch(t *testing.T) {
	key := newKey(t)
	c, _ := handshakePair(t, bindingOf(1), bindingOf(2), key.Public(), key)
	if !errors.Is(c.err, ErrHandshake) || c.conn != nil {
		t.Fatalf("client: %v, want ErrHandshake", c.err)
	}
}

func TestHandshakeBadBindingLength(t *testing.T) {
	key := newKey(t)
	if _, err := Client(context.Background(), readWriter{}, nil, key.Public()); !errors.Is(err, ErrHandshake) {
		t.Fatalf("client with no binding: %v", err)
	}
	if _, err := Server(context.Background(), readWriter{}, make([]byte, 16), key); !errors.Is(err, ErrHandshake) {
		t.Fatalf("server with a short binding: %v", err)
	}
}

// offCurvePoint is a 0x02-prefixed 33-byte string whose x has no point.
func offCurvePoint(t *testing.T) []byte {
	t.Helper()
	for x := byte(1); x < 255; x++ {
		b := make([]byte, 33)
		b[0], b[32] = 0x02, x
		if _, err := secp.ParsePublicKey(b); err != nil {
			return b
		}
	}
	t.Fatal("no off-curve x found")
	return nil
}

// hybrid returns the 65-byte hybrid (0x06/0x07) encoding of a valid key.
func hybrid(t *testing.T, k secp.PublicKey) []byte {
	t.Helper()
	p, err := secp256k1.ParsePubKey(k.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	u := p.SerializeUncompressed() // 0x04 || x || y
	u[0] = 0x06 | u[64]&1
	if _, err := secp256k1.ParsePubKey(u); err != nil {
		t.Fatalf("dcrd itself should accept the hybrid encoding: %v", err)
	}
	return u
}

// rawClientHello sends a hand-built ClientHello (encoded without
// validation) to a real Server and returns the server error and the frame
// it answered with.
func rawClientHello(t *testing.T, hello *wire.ClientHello) (error, *wire.Frame) {
	t.Helper()
	var f wire.Frame
	serverErr := sendRawHello(t, hello, func(r io.Reader) {
		if _, err := readHello(r, &f); err != nil {
			t.Fatalf("reading the relay's answer: %v", err)
		}
	})
	return serverErr, &f
}

// sendRawHello writes hello (encoded without validation) to a real
// Server, lets read take the answer, and returns the server's error.
func sendRawHello(t *testing.T, hello *wire.ClientHello, read func(io.Reader)) error {
	t.Helper()
	b, err := wire.Encode(&wire.Frame{ClientHello: hello})
	if err != nil {
		t.Fatal(err)
	}
	ce, se := net.Pipe()
	defer ce.Close()
	done := make(chan error, 1)
	go func() {
		_, err := Server(testCtx(t), se, bindingOf(1), newKey(t))
		se.Close()
		done <- err
	}()
	if err := writeHello(ce, b); err != nil {
		t.Fatal(err)
	}
	read(ce)
	return <-done
}

func expectErrorFrame(t *testing.T, f *wire.Frame, code wire.Code) {
	t.Helper()
	if f.Error == nil || f.Error.Code != code {
		t.Fatalf("relay answered %+v, want Error code %d", f, code)
	}
}

func TestHandshakeInvalidPoint(t *testing.T) {
	err, f := rawClientHello(t, &wire.ClientHello{
		Version: wire.ProtocolVersion, Ephemeral: offCurvePoint(t), Nonce: make([]byte, 32),
	})
	if !errors.Is(err, ErrHandshake) || !errors.Is(err, secp.ErrPublicKey) {
		t.Fatalf("server: %v, want ErrHandshake wrapping secp.ErrPublicKey", err)
	}
	expectErrorFrame(t, f, wire.CodeBadKey)
}

func TestHandshakeHybridPoint(t *testing.T) {
	err, f := rawClientHello(t, &wire.ClientHello{
		Version: wire.ProtocolVersion, Ephemeral: hybrid(t, newKey(t).Public()), Nonce: make([]byte, 32),
	})
	if !errors.Is(err, ErrHandshake) {
		t.Fatalf("server: %v, want ErrHandshake", err)
	}
	expectErrorFrame(t, f, wire.CodeBadFrame)
}

func TestHandshakeHybridPrefixPoint(t *testing.T) {
	eph := newKey(t).Public().Bytes()
	eph[0] = 0x06 | eph[0]&1 // a hybrid prefix squeezed into 33 bytes
	err, f := rawClientHello(t, &wire.ClientHello{Version: wire.ProtocolVersion, Ephemeral: eph, Nonce: make([]byte, 32)})
	if !errors.Is(err, secp.ErrPublicKey) {
		t.Fatalf("server: %v, want secp.ErrPublicKey", err)
	}
	expectErrorFrame(t, f, wire.CodeBadKey)
}

func TestHandshakeNotAClientHello(t *testing.T) {
	ce, se := net.Pipe()
	defer ce.Close()
	done := make(chan error, 1)
	go func() {
		_, err := Server(testCtx(t), se, bindingOf(1), newKey(t))
		se.Close()
		done <- err
	}()
	b, _ := wire.Marshal(ping(1))
	if err := writeHello(ce, b); err != nil {
		t.Fatal(err)
	}
	var f wire.Frame
	if _, err := readHello(ce, &f); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrHandshake) {
		t.Fatalf("server: %v", err)
	}
	expectErrorFrame(t, &f, wire.CodeBadFrame)
}

func TestHandshakeVersionMismatch(t *testing.T) {
	key := newKey(t)
	ce, se := net.Pipe()
	defer ce.Close()
	done := make(chan error, 1)
	go func() {
		_, err := Server(testCtx(t), se, bindingOf(1), key)
		se.Close()
		done <- err
	}()
	in := &fixedInputs{eph: newKey(t), nonce: make([]byte, 32)}
	_, err := client(testCtx(t), ce, bindingOf(1), key.Public(), wire.ProtocolVersion+1, in)
	var remote *wire.RemoteError
	if !errors.Is(err, ErrHandshake) || !errors.As(err, &remote) || remote.Code != wire.CodeVersion {
		t.Fatalf("client: %v, want ErrHandshake with remote CodeVersion", err)
	}
	if err := <-done; !errors.Is(err, ErrHandshake) {
		t.Fatalf("server: %v", err)
	}
}

// fakeRelay answers a real Client with a correctly signed ServerHello that
// mutate then alters; the result is encoded without validation.
func fakeRelay(t *testing.T, key *secp.PrivateKey, mutate func(*wire.ServerHello)) error {
	t.Helper()
	return fakeRelayVersions(t, key, wire.ProtocolVersion, wire.ProtocolVersion, mutate)
}

// fakeRelayVersions is fakeRelay for a client offering version offer and a
// ServerHello of version answer, signed over that version before mutate.
func fakeRelayVersions(t *testing.T, key *secp.PrivateKey, offer, answer uint64, mutate func(*wire.ServerHello)) error {
	t.Helper()
	ce, se := net.Pipe()
	defer ce.Close()
	go func() {
		defer se.Close()
		var f wire.Frame
		ch, err := readHello(se, &f)
		if err != nil {
			return
		}
		sh := &wire.ServerHello{Version: answer, Ephemeral: newKey(t).Public().Bytes(),
			RelayKey: key.Public().Bytes(), Challenge: make([]byte, wire.ChallengeSize)}
		th := sha256.Sum256(transcript(bindingOf(1), ch, sh))
		sh.Signature = key.Sign(SignatureLabel, th[:])
		mutate(sh)
		b, _ := wire.Encode(&wire.Frame{ServerHello: sh})
		_ = writeHello(se, b)
	}()
	_, err := client(testCtx(t), ce, bindingOf(1), key.Public(), offer, nil)
	return err
}

func TestFakeRelayUnchangedSucceeds(t *testing.T) {
	if err := fakeRelay(t, newKey(t), func(*wire.ServerHello) {}); err != nil {
		t.Fatalf("the fake relay itself must be accepted when honest: %v", err)
	}
}

func TestHandshakeBadSignature(t *testing.T) {
	err := fakeRelay(t, newKey(t), func(sh *wire.ServerHello) { sh.Signature[10] ^= 1 })
	if !errors.Is(err, ErrHandshake) {
		t.Fatalf("client: %v, want ErrHandshake", err)
	}
}

func TestHandshakeSignatureByOtherKey(t *testing.T) {
	key, other := newKey(t), newKey(t)
	err := fakeRelay(t, key, func(sh *wire.ServerHello) {
		sh.Signature = other.Sign(SignatureLabel, make([]byte, 32))
	})
	if !errors.Is(err, ErrHandshake) {
		t.Fatalf("client: %v, want ErrHandshake", err)
	}
}

func TestHandshakeRelayInvalidPoint(t *testing.T) {
	bad := offCurvePoint(t)
	err := fakeRelay(t, newKey(t), func(sh *wire.ServerHello) { sh.Ephemeral = bad })
	if !errors.Is(err, ErrHandshake) || !errors.Is(err, secp.ErrPublicKey) {
		t.Fatalf("client: %v, want ErrHandshake wrapping secp.ErrPublicKey", err)
	}
}

func TestHandshakeRelayHybridPoint(t *testing.T) {
	key := newKey(t)
	h := hybrid(t, key.Public())
	err := fakeRelay(t, key, func(sh *wire.ServerHello) { sh.RelayKey = h })
	if !errors.Is(err, ErrHandshake) {
		t.Fatalf("client: %v, want ErrHandshake", err)
	}
}

func TestHandshakeRelayVersionMismatch(t *testing.T) {
	err := fakeRelay(t, newKey(t), func(sh *wire.ServerHello) { sh.Version++ })
	if !errors.Is(err, ErrHandshake) {
		t.Fatalf("client: %v, want ErrHandshake", err)
	}
}

// The peer reads the ClientHello and never answers.
func TestHandshakeTimeout(t *testing.T) {
	ce, se := net.Pipe()
	defer ce.Close()
	defer se.Close()
	go func() { _, _ = io.Copy(io.Discard, se) }()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := Client(ctx, ce, bindingOf(1), newKey(t).Public())
	if !errors.Is(err, ErrHandshake) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("client: %v, want ErrHandshake and DeadlineExceeded", err)
	}
	if err := ce.SetDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
}

func TestHandshakeServerTimeout(t *testing.T) {
	ce, se := net.Pipe()
	defer ce.Close()
	defer se.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := Server(ctx, se, bindingOf(1), newKey(t)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("server: %v, want DeadlineExceeded", err)
	}
}

func TestHandshakeCancel(t *testing.T) {
	ce, se := net.Pipe()
	defer ce.Close()
	defer se.Close()
	go func() { _, _ = io.Copy(io.Discard, se) }()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	if _, err := Client(ctx, ce, bindingOf(1), newKey(t).Public()); !errors.Is(err, context.Canceled) {
		t.Fatalf("client: %v, want Canceled", err)
	}
}

// A stream without deadlines: the handshake still returns on ctx.
func TestHandshakeTimeoutNoDeadlines(t *testing.T) {
	pr, pw := io.Pipe()
	defer pr.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := Client(ctx, readWriter{pr, io.Discard}, bindingOf(1), newKey(t).Public())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("client: %v, want DeadlineExceeded", err)
	}
	pw.Close()
}

func TestHandshakeCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Client(ctx, readWriter{bytes.NewReader(nil), io.Discard}, bindingOf(1), secp.PublicKey{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("client: %v", err)
	}
}

func TestResumeMessage(t *testing.T) {
	var id [32]byte
	id[0], id[31] = 1, 2
	m := ResumeMessage(id, "alice")
	if !bytes.Equal(m[:32], id[:]) || string(m[32:]) != "alice" || len(m) != 37 {
		t.Fatalf("resume message %x", m)
	}
}
