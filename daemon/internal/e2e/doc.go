// Package e2e is SecureP2P's end-to-end layer: identity keys, signed and
// one-time prekeys, X3DH-style session setup and the double ratchet on
// secp256k1, the padded plaintext format, safety numbers, and a public
// description of envelopes for `p2pctl inspect` (Describe, plus
// AssociatedData: the MAC's authenticated bytes rebuilt from public
// inputs, without any key). The byte-level
// specification, with test vectors produced by this package's tests, is
// section 3 of wire/PROTOCOL.md.
//
// # What it promises
//
//   - Confidentiality and integrity against the relay: every message is
//     AES-256-CTR under a fresh message key, then HMAC-SHA-256 over the
//     associated data (protocol version, both identity keys, both usernames),
//     the header and the ciphertext; the MAC is checked in constant time
//     before anything is decrypted. A re-addressed, relabelled, replayed or
//     altered envelope fails.
//   - Forward secrecy per message from the symmetric chain step (every
//     message key is derived, used once and forgotten; no (key, IV) pair is
//     ever used twice) and post-compromise recovery from the DH ratchet.
//   - Paced DH turns (security trade-off, see pacing.go): receiving a new
//     peer ratchet key does the receiving half of the DH step at once; the
//     sending half (a fresh ratchet key of ours) is done by Encrypt only
//     when [MinTurnInterval] has passed since this side's last turn or
//     [MaxChainMessages] messages were sent on the current chain, otherwise
//     the current sending chain continues. The responder's first reply is
//     always under a fresh key. So a conversation recovers from a
//     compromised state within one round trip once MinTurnInterval or
//     MaxChainMessages is reached, instead of after every round trip; per
//     message forward secrecy is unchanged. Peers that turn on every round
//     trip (the unpaced double ratchet) interoperate: the wire format and
//     the receiving rules are the same.
//   - Bounded work and memory per message: at most [MaxSkip] skipped keys per
//     chain (a message further ahead in its own chain is rejected before any
//     key is derived; when a new peer ratchet key says more than MaxSkip
//     messages of our receiving chain are missing, that chain is abandoned,
//     once the message's MAC verified, instead of wedging the session) and
//     [MaxSkippedKeys] per session (the oldest are evicted, and an evicted
//     or abandoned message is reported as [ErrDuplicate], never silently
//     dropped).
//   - A failed [Session.Decrypt] or [Respond] changes no state and consumes
//     no prekey.
//   - Every parser (envelope, content, session state, prekey store, identity)
//     uses the strict wire.Decode and checks every field's length.
//   - No private, root, chain or message key, and no plaintext, appears in an
//     error, a String method or a [Description].
//
// # Using it (the daemon)
//
//	id, _ := e2e.NewIdentity()                 // id.Marshal / e2e.ParseIdentity for storage
//	pk := e2e.NewPrekeyStore()                 // pk.MarshalBinary / e2e.ParsePrekeyStore
//	spk, _ := pk.RotateSignedPrekey(id)        // wire.SignedPrekey to upload
//	otks, _ := pk.GenerateOneTime(100)         // []wire.Prekey to upload
//
//	s, _ := e2e.Initiate(id, "alice", bundle)  // verifies the bundle (e2e.VerifyBundle)
//	env, _ := s.Encrypt(padded)                // padded := e2e.EncodeContent(&e2e.Content{...})
//
//	h, _ := e2e.ParseHeader(env)               // h.Prekey, h.Identity, h.BaseKey: route and detect key changes
//	s, pt, used, err := e2e.Respond(id, "bob", from, env, pk) // first prekey message of a session
//	pk.Consume(used)                           // after storing s
//	pt, err = s.Decrypt(env)                   // everything else (ErrOtherSession: call Respond)
//	c, _ := e2e.DecodeContent(pt)
//	blob, _ := s.MarshalBinary()               // e2e.UnmarshalSession
//	e2e.SafetyNumber("alice", s.SelfIdentity(), "bob", s.PeerIdentity())
//
// # What it does not do
//
// No storage, network or concurrency: [Session] and [PrekeyStore] are plain
// values the caller serialises after every change and never uses from two
// goroutines at once. It does not decide whether to trust a changed identity
// key (the daemon compares [Header].Identity or [Session.PeerIdentity] with
// the key it knows) or resolve two sessions started at the same time. Elliptic-curve
// operations are wire/secp's (whose scalar multiplication is not constant
// time, a documented risk).
package e2e
