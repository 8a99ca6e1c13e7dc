package hop

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

// fixedInputs replaces the handshake's random values in tests, so that the
// handshake is deterministic (wire/PROTOCOL.md vectors). Never set in
// production code: the exported Client and Server always pass nil.
type fixedInputs struct {
	eph       *secp.PrivateKey
	nonce     []byte // client only
	challenge []byte // relay only
}

// Client runs the client side of the handshake on rw: it sends ClientHello,
// checks the relay's ServerHello against binding (this connection's
// [Binding]) and pin, and returns the sealed channel. A zero pin trusts the
// relay's key on first use: the caller records [Conn.RelayKey]. A non-zero
// pin that differs from the relay's proven key gives [ErrRelayKeyMismatch];
// every other failure wraps [ErrHandshake] (an Error frame from the relay
// also wraps its *wire.RemoteError). ctx bounds the handshake.
func Client(ctx context.Context, rw io.ReadWriter, binding []byte, pin secp.PublicKey) (*Conn, error) {
	return client(ctx, rw, binding, pin, wire.ProtocolVersion, nil)
}

// ClientVersion is [Client] offering protocol version v instead of
// wire.ProtocolVersion (a client falling back to an older relay, which
// answered the newest version with CodeVersion). v must lie between
// wire.MinProtocolVersion and wire.ProtocolVersion.
func ClientVersion(ctx context.Context, rw io.ReadWriter, binding []byte, pin secp.PublicKey, v uint64) (*Conn, error) {
	if v < wire.MinProtocolVersion || v > wire.ProtocolVersion {
		return nil, fmt.Errorf("%w: protocol version %d not spoken here", ErrHandshake, v)
	}
	return client(ctx, rw, binding, pin, v, nil)
}

// Server runs the relay side of the handshake on rw with the relay's
// long-term key. A bad ClientHello is answered with a fatal Error frame
// (CodeBadFrame, CodeVersion or CodeBadKey) before Server returns an error
// wrapping [ErrHandshake]. ctx bounds the handshake.
func Server(ctx context.Context, rw io.ReadWriter, binding []byte, key *secp.PrivateKey) (*Conn, error) {
	return server(ctx, rw, binding, key, nil)
}

// client runs the client handshake offering version (not range-checked
// here, so tests can offer any value).
func client(ctx context.Context, rw io.ReadWriter, binding []byte, pin secp.PublicKey, version uint64, in *fixedInputs) (*Conn, error) {
	if len(binding) != BindingSize {
		return nil, fmt.Errorf("%w: channel binding is %d bytes, want %d", ErrHandshake, len(binding), BindingSize)
	}
	var c *Conn
	err := withContext(ctx, rw, func() (err error) {
		c, err = clientHandshake(rw, binding, pin, version, in)
		return err
	})
	if err != nil {
		return nil, handshakeError(err)
	}
	return c, nil
}

func server(ctx context.Context, rw io.ReadWriter, binding []byte, key *secp.PrivateKey, in *fixedInputs) (*Conn, error) {
	if len(binding) != BindingSize {
		return nil, fmt.Errorf("%w: channel binding is %d bytes, want %d", ErrHandshake, len(binding), BindingSize)
	}
	var c *Conn
	err := withContext(ctx, rw, func() (err error) {
		c, err = serverHandshake(rw, binding, key, in)
		return err
	})
	if err != nil {
		return nil, handshakeError(err)
	}
	return c, nil
}

// handshakeError makes every failure wrap ErrHandshake, except a pin
// mismatch, which stays its own hard error.
func handshakeError(err error) error {
	if errors.Is(err, ErrRelayKeyMismatch) || errors.Is(err, ErrHandshake) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrHandshake, err)
}

func clientHandshake(rw io.ReadWriter, binding []byte, pin secp.PublicKey, version uint64, in *fixedInputs) (*Conn, error) {
	eph, nonce, err := clientRandom(in)
	if err != nil {
		return nil, err
	}
	defer eph.Wipe()
	ch, err := wire.Marshal(&wire.Frame{ClientHello: &wire.ClientHello{
		Version: version, Ephemeral: eph.Public().Bytes(), Nonce: nonce,
	}})
	if err != nil {
		return nil, err
	}
	if err := writeHello(rw, ch); err != nil {
		return nil, err
	}
	sh, err := readServerHello(rw, version)
	if err != nil {
		return nil, err
	}
	return clientFinish(rw, binding, pin, eph, ch, sh)
}

// clientFinish checks ServerHello and derives the keys.
func clientFinish(rw io.ReadWriter, binding []byte, pin secp.PublicKey, eph *secp.PrivateKey, ch []byte, sh *wire.ServerHello) (*Conn, error) {
	ephS, err := secp.ParsePublicKey(sh.Ephemeral)
	if err != nil {
		return nil, fmt.Errorf("%w: relay ephemeral key: %w", ErrHandshake, err)
	}
	relayKey, err := secp.ParsePublicKey(sh.RelayKey)
	if err != nil {
		return nil, fmt.Errorf("%w: relay key: %w", ErrHandshake, err)
	}
	th := sha256.Sum256(transcript(binding, ch, sh))
	if !relayKey.Verify(SignatureLabel, th[:], sh.Signature) {
		return nil, fmt.Errorf("%w: relay signature over the transcript does not verify", ErrHandshake)
	}
	if !pin.IsZero() && !pin.Equal(relayKey) {
		return nil, fmt.Errorf("%w: pinned %s, relay proved %s", ErrRelayKeyMismatch, pin.Fingerprint(), relayKey.Fingerprint())
	}
	return agree(rw, eph, ephS, th, relayKey, sh.Version, true)
}

func serverHandshake(rw io.ReadWriter, binding []byte, key *secp.PrivateKey, in *fixedInputs) (*Conn, error) {
	ch, hello, err := readClientHello(rw)
	if err != nil {
		return nil, err
	}
	ephC, err := secp.ParsePublicKey(hello.Ephemeral)
	if err != nil {
		sendError(rw, wire.CodeBadKey, "invalid ephemeral key")
		return nil, fmt.Errorf("client ephemeral key: %w", err)
	}
	eph, challenge, err := serverRandom(in)
	if err != nil {
		return nil, err
	}
	defer eph.Wipe()
	sh := &wire.ServerHello{
		Version: hello.Version, Ephemeral: eph.Public().Bytes(),
		RelayKey: key.Public().Bytes(), Challenge: challenge,
	}
	th := sha256.Sum256(transcript(binding, ch, sh))
	sh.Signature = key.Sign(SignatureLabel, th[:])
	b, err := wire.Marshal(&wire.Frame{ServerHello: sh})
	if err != nil {
		return nil, err
	}
	if err := writeHello(rw, b); err != nil {
		return nil, err
	}
	return agree(rw, eph, ephC, th, key.Public(), hello.Version, false)
}

// agree runs ECDH and builds the sealed channel; the shared secret is
// zeroed before it returns.
func agree(rw io.ReadWriter, eph *secp.PrivateKey, peer secp.PublicKey, th [32]byte, relayKey secp.PublicKey, version uint64, isClient bool) (*Conn, error) {
	shared, err := eph.ECDH(peer)
	if err != nil {
		return nil, err
	}
	defer clear(shared)
	c, err := newConn(rw, shared, th, relayKey, isClient)
	if c != nil {
		c.version = version
	}
	return c, err
}

// transcript is what the relay signs (hashed) and what the keys and the
// session id are derived from:
//
//	TranscriptLabel || binding (32) || uint32be(len(ch)) || ch ||
//	uint64be(sh.Version) || sh.Ephemeral (33) || sh.RelayKey (33) || sh.Challenge (32)
//
// ch is the exact ClientHello frame (the packet body as sent). Every field
// after ch has a fixed length, so the encoding is unambiguous.
func transcript(binding, ch []byte, sh *wire.ServerHello) []byte {
	t := make([]byte, 0, len(TranscriptLabel)+BindingSize+4+len(ch)+8+2*secp.PublicKeySize+wire.ChallengeSize)
	t = append(t, TranscriptLabel...)
	t = append(t, binding...)
	t = binary.BigEndian.AppendUint32(t, uint32(len(ch)))
	t = append(t, ch...)
	t = binary.BigEndian.AppendUint64(t, sh.Version)
	t = append(t, sh.Ephemeral...)
	t = append(t, sh.RelayKey...)
	return append(t, sh.Challenge...)
}

func clientRandom(in *fixedInputs) (eph *secp.PrivateKey, nonce []byte, err error) {
	if in != nil {
		return in.eph, in.nonce, nil
	}
	if eph, err = secp.GeneratePrivateKey(); err != nil {
		return nil, nil, err
	}
	return eph, randomBytes(wire.NonceSize), nil
}

func serverRandom(in *fixedInputs) (eph *secp.PrivateKey, challenge []byte, err error) {
	if in != nil {
		return in.eph, in.challenge, nil
	}
	if eph, err = secp.GeneratePrivateKey(); err != nil {
		return nil, nil, err
	}
	return eph, randomBytes(wire.ChallengeSize), nil
}

// randomBytes returns n bytes from crypto/rand, which never fails on
// supported platforms (Go 1.24+ crashes the program instead).
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
