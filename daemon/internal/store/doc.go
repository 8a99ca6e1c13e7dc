// Package store is the daemon's durable state: one bbolt file holding the
// identity and prekey private state, the relay pin, the account, end-to-end
// sessions, contacts, message history, the outbox, seen message ids and the
// event log.
//
// # What it promises
//
//   - Every method runs inside a [Tx]; [DB.Update] commits (fsync) or rolls
//     back as a whole, so callers make several changes atomic by doing them
//     in one Update (the inbound path stores message, session, seen id and
//     event together before the relay is acknowledged).
//   - The file is created 0600. Values returned from a Tx are copies that
//     stay valid after the transaction ends.
//   - The password is never stored: [Account] has no field for it.
//   - Message history keeps a per-contact sequence number that only grows;
//     the event log has a global cursor that only grows and keeps at most
//     [DB.EventRetention] entries (the oldest are dropped).
//
// # What it does not do
//
// No cryptography: identity, prekey and session state are opaque bytes
// serialised by daemon/internal/e2e, and the file itself is not encrypted
// (it relies on the 0700 state directory). Records are JSON: this is a local
// file, not a wire format.
package store
