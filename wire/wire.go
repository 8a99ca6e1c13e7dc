// Package wire defines every frame the relay can see: the CBOR types exchanged
// between a daemon (p2pd) and the relay (p2p-relay), the one strict decode
// mode they are read with, and the length-prefixed framing they travel in.
//
// # What it owns
//
//   - [Frame], a union with exactly one payload per frame; [Type] names them.
//   - [Marshal] / [Unmarshal]: deterministic (core-deterministic CBOR)
//     encoding, and one decode mode with hard limits. Duplicate map keys,
//     indefinite lengths, tags and unknown fields are errors; nesting, array
//     and map sizes are capped; and a frame that does not re-encode to exactly
//     its input bytes is rejected, so every frame has one byte form.
//     [AppendFrame] is Marshal into a caller's buffer.
//   - A fast path for the relay's per-message frames (Send, Accepted,
//     Deliver, Ack, Ping, Pong): a hand-written encoder that writes the same
//     bytes without allocating, and a decoder that takes only their one
//     canonical form, in at most two allocations (three for a batched Ack
//     or Accepted), and hands everything else to the generic path. Both
//     paths accept and reject exactly the same inputs (differential tests
//     and fuzz targets hold them equal).
//   - [ReadPacket] / [AppendPacket]: a 4-byte big-endian length prefix that is
//     checked against a maximum before anything is allocated; oversized writes
//     are refused too.
//   - [Code]: stable numeric error codes.
//
// # What it does not do
//
// No keys, no cryptography, no network. The relay-hop channel that seals these
// frames is in wire/hop; the strict secp256k1 wrapper is in wire/secp. The
// end-to-end message inside [Send.Body] is opaque here. The byte-level
// specification is wire/PROTOCOL.md.
package wire

// ProtocolVersion is the version carried in the hop handshake.
//
// History:
//
//	1 (2026-11): first version: hop handshake, accounts, key directory, mailboxes.
//	2 (2026-11): Ack and Accepted may carry several ids (More); the relay
//	  and the client use it only on a connection that negotiated version 2.
const ProtocolVersion = 2

// MinProtocolVersion is the oldest version a relay still accepts: the
// ServerHello answers with the client's version when it lies between
// MinProtocolVersion and ProtocolVersion.
const MinProtocolVersion = 1

// Hard limits. Every decoder and encoder enforces them.
const (
	MaxFrameSize    = 64 << 10 // bytes of one encoded frame (plaintext, before sealing)
	MaxBodySize     = 60 << 10 // bytes of an end-to-end envelope in Send/Deliver
	MaxUsernameLen  = 32       // bytes; see ValidUsername
	MinUsernameLen  = 3        // bytes
	MinPasswordLen  = 8        // bytes
	MaxPasswordLen  = 256      // bytes
	MaxPrekeyBatch  = 200      // one-time prekeys in one Register/Login/UploadPrekeys
	MaxErrorMessage = 256      // bytes of Error.Message
	MaxNesting      = 8        // CBOR nesting levels
	MaxArrayLen     = 256      // elements in any CBOR array
	MaxMapPairs     = 32       // pairs in any CBOR map
	IDSize          = 16       // bytes of a message id (random 128-bit)
	KeySize         = 33       // bytes of a compressed secp256k1 public key
	SigSize         = 64       // bytes of an r||s signature
	ChallengeSize   = 32       // bytes of the relay's resume challenge
	NonceSize       = 32       // bytes of a handshake random value
	MaxBatchIDs     = 256      // ids in one Ack or Accepted (ID and More together; version 2)
)
