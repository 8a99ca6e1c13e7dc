// Package hop is the relay-hop secure channel: the first of SecureP2P's two
// cryptographic layers, run between a daemon (client) and the relay (server)
// on one bidirectional QUIC stream. Both ends use it.
//
// # What it owns
//
//   - The handshake ([Client], [Server]): one cleartext ClientHello and one
//     ServerHello, each a length-prefixed [wire.Frame]. Both sides use fresh
//     ephemeral secp256k1 keys; the relay signs a transcript hash that covers
//     both hellos and a TLS exporter value of the QUIC connection ([Binding]);
//     the client checks the signature and the relay's long-term key against a
//     pin (or trusts it on first use). HKDF-SHA-256 over the ECDH secret,
//     salted with the transcript hash, gives one AES-256 key per direction.
//   - Version negotiation: the client offers wire.ProtocolVersion (or an
//     older version with [ClientVersion]); the relay accepts
//     wire.MinProtocolVersion to wire.ProtocolVersion and echoes it; both
//     are in the signed transcript, and [Conn.Version] reports the result.
//     Which frames a version allows (batched Ack/Accepted from 2 on) is
//     the caller's rule: a Conn carries any valid frame.
//   - Sealed frames ([Conn.ReadFrame], [Conn.WriteFrame]): AES-256-GCM, the
//     64-bit frame counter as nonce, the packet header as associated data.
//   - TLS settings for the QUIC connection ([ClientTLSConfig],
//     [ServerTLSConfig], [SelfSignedCert]).
//   - The resume message a daemon signs to log in with its identity key
//     ([ResumeMessage]).
//
// The byte-level specification, with test vectors checked by this package's
// tests, is wire/PROTOCOL.md section 2.
//
// # What it promises
//
//   - The relay is authenticated by its hop key, not by its TLS certificate:
//     a configured pin that differs from the relay's key is the hard error
//     [ErrRelayKeyMismatch]. A TLS man-in-the-middle cannot relay the
//     handshake, because the signed transcript includes the exporter value of
//     each side's own TLS connection, and those differ.
//   - Forward secrecy for the channel: the keys come only from ephemeral ECDH.
//   - Every received public key goes through [secp.ParsePublicKey]: invalid,
//     infinity, uncompressed and hybrid encodings are rejected.
//   - A sealed frame is accepted only if it authenticates under the receive
//     direction's key with exactly the next expected counter: a bit flip,
//     truncation, replay, reorder, drop or a frame sealed with the other
//     direction's key is fatal, and the [Conn] returns the same error from
//     every later ReadFrame. A direction refuses to seal after [MaxFrames]
//     frames (reconnect for fresh keys).
//   - Connection state cannot be printed or compared with ==; raw key bytes
//     and the ECDH secret are zeroed as soon as the AES key schedule is built
//     (the schedule itself lives in crypto/aes until the Conn is unreachable).
//
// # What it does not do
//
// No user authentication (Register, Login and Resume travel inside the
// channel; the relay checks them), no retries, no goroutines of its own, no
// closing of the underlying stream. A Conn has one reader and one writer: at
// most one goroutine in ReadFrame and one in WriteFrame at a time.
package hop

import (
	"errors"

	"github.com/securep2p/securep2p/wire"
)

// ALPN is the TLS application protocol of a relay connection.
const ALPN = "securep2p/1"

// Labels. Each one domain-separates one use of a key or hash; see
// wire/PROTOCOL.md.
const (
	// ResumeLabel is the signature label of a key-based resume.
	ResumeLabel = "securep2p/v1/resume"
	// TranscriptLabel starts the handshake transcript.
	TranscriptLabel = "securep2p/v1/hop"
	// SignatureLabel is the relay's signature label over the transcript hash.
	SignatureLabel = "securep2p/v1/hop signature"
	// BindingLabel is the TLS exporter label of the channel binding.
	BindingLabel = "EXPORTER-securep2p-hop-v1"
	// InfoClientToServer is the HKDF info of the client-to-relay key.
	InfoClientToServer = "securep2p/v1/hop c2s"
	// InfoServerToClient is the HKDF info of the relay-to-client key.
	InfoServerToClient = "securep2p/v1/hop s2c"
)

// Sizes and limits of the hop layer.
const (
	BindingSize = 32 // bytes of the TLS exporter value
	// MaxHelloPacket caps the length prefix of a cleartext handshake packet
	// (a hello is about 150 bytes, an Error frame at most about 280).
	MaxHelloPacket = 1024
	// Overhead is what sealing adds to an encoded frame: length prefix,
	// counter and GCM tag.
	Overhead = wire.PacketHeaderSize + counterSize + tagSize
	// MaxSealedBody caps the length prefix of a sealed packet.
	MaxSealedBody = counterSize + wire.MaxFrameSize + tagSize
	// MaxFrames is how many frames one direction may seal; frame counters run
	// from 0 to MaxFrames-1. It keeps AES-GCM far inside its usage limits
	// even for maximum-size frames; a connection that reaches it must be
	// replaced by a new one (new handshake, new keys).
	MaxFrames uint64 = 1 << 32
)

const (
	counterSize = 8
	tagSize     = 16
	keySize     = 32
	headerSize  = wire.PacketHeaderSize + counterSize // the associated data
)

// Errors. Handshake failures wrap ErrHandshake (or are ErrRelayKeyMismatch);
// sealed-frame failures wrap ErrAuth, ErrSequence or ErrCounterExhausted. No
// error carries key material.
var (
	// ErrRelayKeyMismatch: the relay proved a key that is not the pinned one.
	// This is a hard error that callers must show and never retry silently.
	ErrRelayKeyMismatch = errors.New("hop: relay key does not match the pinned key")
	// ErrHandshake wraps every other handshake failure.
	ErrHandshake = errors.New("hop: handshake failed")
	// ErrAuth: a sealed frame did not authenticate (altered, truncated or
	// sealed with another key).
	ErrAuth = errors.New("hop: sealed frame failed authentication")
	// ErrSequence: a sealed frame carried another counter than the next
	// expected one (replayed, reordered or dropped frame).
	ErrSequence = errors.New("hop: sealed frame out of sequence")
	// ErrCounterExhausted: the direction sealed MaxFrames frames.
	ErrCounterExhausted = errors.New("hop: frame counter exhausted; reconnect")
)

// ResumeMessage is the message a daemon signs with its identity key (label
// [ResumeLabel]) to resume a session: the 32-byte session id followed by the
// normalised username. The session id is the transcript hash, which covers
// the relay's fresh challenge, so a signature is good for one connection only.
func ResumeMessage(sessionID [32]byte, username string) []byte {
	m := make([]byte, 0, len(sessionID)+len(username))
	m = append(m, sessionID[:]...)
	return append(m, username...)
}
