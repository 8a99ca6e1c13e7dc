// Package engine is the daemon's messaging logic: accounts, the outbox,
// inbound deliveries, receipts, contacts and key changes, on top of the
// store (daemon/internal/store), the relay link (daemon/internal/link) and
// the end-to-end crypto (daemon/internal/e2e). Its methods speak the
// daemon/api types so the control server stays a thin HTTP layer.
//
// # Delivery promises
//
//   - [Engine.Send] returns once the message is committed to the outbox
//     (status queued, or held).
//   - A message is encrypted once: at Send, inside the queueing
//     transaction, when the contact has a usable primary session and is not
//     held (a delivery receipt likewise inside the inbound transaction);
//     else when it is first transmitted (first contact, held messages).
//     Either way the envelope and the advanced session are committed in one
//     transaction BEFORE the envelope is written to the relay, and every
//     retry sends exactly the
//     same envelope under the same id (the relay and the recipient
//     deduplicate by id). Status becomes sent on Accepted (a batched
//     Accepted of protocol version 2 counts for each of its ids, in order;
//     committed with the next transaction: group commit, see accepts.go),
//     delivered on the
//     recipient's end-to-end receipt, read on its read receipt (if that
//     contact sends them), failed with a reason on a permanent error. A
//     transient refusal (Error CodeInternal during a NATS leader election,
//     busy, rate limited) keeps it queued: it is resent with the same id,
//     also after the link moved to another relay node.
//   - Inbound: the envelope is decrypted, then message, session, prekey
//     state, seen id, receipt-to-send and events are committed in ONE
//     transaction, and only then is the relay acknowledged. A message id
//     already seen is acknowledged and dropped. An envelope arriving while
//     the engine knows no own username (a Login it gave up on) is left
//     unacknowledged for redelivery; a Register or Login given up after its
//     frame may have been written (ctx ended, RequestTimeout) ends that
//     connection, so the relay session is never logged in behind the
//     engine's back.
//   - An envelope that cannot be decrypted is acknowledged (the relay must
//     not loop) but never vanishes: it is stored as a failed incoming message
//     in the sender's history (failure code undecryptable), announced by a
//     message event and counted ([Engine.Undecryptable], shown in Status). Only duplicates and envelopes with an invalid
//     sender name are dropped silently (logged).
//   - Crossed first messages (both sides start a session before either has
//     one) converge on one session pair without losing a message; the rules
//     are in sessions.go (Session selection).
//   - The prekey store is never reset for an existing identity: prekey IDs
//     only grow and private halves are kept until consumed, whatever the
//     relay answered to Register or Login.
//
// # Key-change policy
//
// A contact's identity key is trusted on first use. A different key later
// (from a fetched bundle, or an incoming prekey message) is a key change; a
// Send refused with CodeKeyChanged only makes the engine fetch the bundle
// and compare (the relay's word alone changes nothing). A key change is
// recorded in the contact's history,
// an event is raised and status lists it until the user runs trust (or
// verify). Meanwhile outgoing messages to a VERIFIED contact are held
// (status held) and released by trust; to an unverified contact they go out
// with Warning key_changed. The per-contact policy overrides this: "hold"
// always holds, "warn" never does.
//
// # Read receipts
//
// Incoming messages are delivered when stored and become read when shown
// (history). A read receipt is sent only to contacts with read receipts
// enabled (off by default); delivery receipts are always sent.
//
// # What it does not do
//
// No network code (link), no HTTP (control), no cryptography of its own
// (e2e). Plaintext and keys never reach the log.
package engine
