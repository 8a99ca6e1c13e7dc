// Package store is the relay's persistent state: accounts, the key directory
// (identity keys, signed prekeys, one-time prekeys) and the offline mailboxes.
//
// # What it owns
//
//   - [Store], a small interface the relay is written against, so a clustered
//     backend (NATS JetStream is the candidate) can replace the embedded one.
//   - [Bolt], the embedded default on go.etcd.io/bbolt: one file, every write
//     transaction fsynced before it is reported.
//
// # What it promises
//
//   - An envelope appended with [Mailboxes.Append] is reported
//     [Stored] only after the transaction holding it has been committed and
//     fsynced, or [Acked] when [Options.Push] handed it to its connected
//     recipient, which acknowledged it before it was written (then nothing is
//     written at all; see held.go). Appends are group-committed: concurrent
//     appends share one transaction and one fsync, and are applied in
//     submission order.
//   - Append is idempotent per (recipient, id): a re-sent id is reported
//     [Duplicate] and stored once, also after it was acked (a tombstone is
//     kept until the envelope would have expired; an id acked while held has
//     no tombstone: the last [Options.AckedMemory]/2 or more such ids are kept in
//     memory, older ones and those from before a restart count as new and
//     the recipient's daemon drops them by id). A duplicate of a held
//     envelope is reported only once the original is Stored or Acked.
//   - Per-recipient order: envelopes get increasing sequence numbers (held
//     ones too, in the order they were pushed) and [Mailboxes.Pending]
//     returns them in that order.
//   - [Prekeys.TakeBundle] removes exactly one one-time prekey in the same
//     write transaction that reads it: two concurrent fetches never get the
//     same key.
//   - Stored records are CBOR in the project's single strict encoding
//     (wire.Encode/wire.Decode); a record that fails to decode is reported
//     as [ErrCorrupt], never trusted.
//
// # What it does not do
//
// It does not hash passwords (PasswordHash is opaque here), check signatures,
// rate-limit, or decide who may read what: that is the relay's job. It keeps
// no plaintext: envelope bodies are end-to-end encrypted by the daemons.
package store

import (
	"errors"
	"time"

	"github.com/securep2p/securep2p/wire"
)

// Errors returned by every implementation. They never carry secrets.
var (
	ErrNotFound       = errors.New("store: not found")
	ErrExists         = errors.New("store: already exists")
	ErrTooManyPrekeys = errors.New("store: one-time prekey pool full")
	ErrCorrupt        = errors.New("store: corrupt record")
	ErrClosed         = errors.New("store: closed")
)

// Store is everything the relay persists.
type Store interface {
	Accounts
	Prekeys
	Mailboxes
	// Close waits for queued commits and closes the store. Idempotent.
	Close() error
}

// Account is one registered user.
type Account struct {
	Username     string            // normalised (wire.NormalizeUsername)
	PasswordHash []byte            // opaque to the store (the relay's Argon2id record)
	IdentityKey  []byte            // 33 bytes, the bound identity key
	SignedPrekey wire.SignedPrekey // current signed prekey
	CreatedAt    time.Time
}

// Accounts creates and reads accounts.
type Accounts interface {
	// CreateAccount stores a and its initial one-time prekeys, or returns
	// ErrExists.
	CreateAccount(a Account, oneTime []wire.Prekey) error
	// Account returns the account or ErrNotFound.
	Account(username string) (Account, error)
}

// KeyUpdate changes an account's published keys in one transaction.
type KeyUpdate struct {
	// IdentityKey, when set and different from the bound key, rebinds the
	// account: every stored one-time prekey is dropped first.
	IdentityKey []byte
	// SignedPrekey, when set, replaces the signed prekey.
	SignedPrekey *wire.SignedPrekey
	// OneTime prekeys are added (an existing id is overwritten).
	OneTime []wire.Prekey
}

// Bundle is what a sender needs to start a session with a user.
type Bundle struct {
	IdentityKey  []byte
	SignedPrekey wire.SignedPrekey
	OneTime      *wire.Prekey // nil when the pool is empty; removed from the store
	Remaining    int          // one-time prekeys left after this fetch
}

// Prekeys is the key directory.
type Prekeys interface {
	// UpdateKeys applies u and returns the number of one-time prekeys left.
	// It returns ErrNotFound for an unknown user and ErrTooManyPrekeys when
	// the pool would exceed its cap (nothing is changed then).
	UpdateKeys(username string, u KeyUpdate) (remaining int, err error)
	// TakeBundle returns the user's bundle, atomically removing one one-time
	// prekey (the lowest id), or ErrNotFound.
	TakeBundle(username string) (Bundle, error)
	// PrekeyCount returns the number of one-time prekeys stored for username.
	PrekeyCount(username string) (int, error)
}

// ID is a 128-bit message id.
type ID [wire.IDSize]byte

// Envelope is one end-to-end message waiting for its recipient.
type Envelope struct {
	ID        ID
	To        string // recipient, normalised
	From      string // sender, normalised
	Body      []byte // opaque end-to-end envelope
	SentAt    time.Time
	ExpiresAt time.Time
	Seq       uint64 // per-recipient sequence number, assigned by Append
}

// Size is the number of bytes an envelope counts against the quota.
func (e *Envelope) Size() int64 { return int64(len(e.Body)) }

// AppendStatus is the outcome of an append that did not fail.
type AppendStatus uint8

// Append outcomes.
const (
	Stored      AppendStatus = iota + 1 // committed and fsynced
	Duplicate                           // id already stored or acked: nothing written
	UnknownUser                         // no such recipient
	KeyChanged                          // the recipient's identity key is not the expected one
	MailboxFull                         // the recipient's quota (count or bytes) is used up
	Acked                               // held, pushed and acknowledged by the recipient: nothing written
)

func (s AppendStatus) String() string {
	switch s {
	case Stored:
		return "stored"
	case Duplicate:
		return "duplicate"
	case UnknownUser:
		return "unknown user"
	case KeyChanged:
		return "key changed"
	case MailboxFull:
		return "mailbox full"
	case Acked:
		return "acked"
	}
	return "invalid"
}

// AppendResult reports one append.
type AppendResult struct {
	Status AppendStatus
	Seq    uint64 // the envelope's sequence number when Stored
}

// AckResult reports one ack.
type AckResult struct {
	Removed bool      // false: unknown or already acked id
	SentAt  time.Time // of the removed envelope
	Size    int64     // body bytes freed
}

// ExpireResult reports one expiry sweep.
type ExpireResult struct {
	Envelopes int   // envelopes removed
	Bytes     int64 // body bytes freed
}

// MailStats are totals over every mailbox.
type MailStats struct {
	Messages int64
	Bytes    int64
}

// Mailboxes holds envelopes until their recipient acks them.
type Mailboxes interface {
	// Append queues e for the next group commit. wantKey, when non-nil, must
	// equal the recipient's bound identity key (else KeyChanged), checked in
	// the same transaction. done runs exactly once, after the commit is
	// durable or has failed (or, for an envelope held for a connected
	// recipient, when its Ack cancelled the write: Acked), on the store's
	// commit goroutine or the goroutine calling Ack; it must not block.
	// Results of envelopes that were not held come in submission order.
	Append(e Envelope, wantKey []byte, done func(AppendResult, error))
	// Ack removes the envelope id from username's mailbox in a group commit
	// and keeps a tombstone so that a re-send stays a Duplicate. done may be
	// nil; the same rules as for Append apply.
	Ack(username string, id ID, done func(AckResult, error))
	// Pending returns up to max envelopes with Seq > after, in order,
	// skipping those expired at now.
	Pending(username string, after uint64, now time.Time, max int) ([]Envelope, error)
	// Expire removes envelopes and tombstones expired at now.
	Expire(now time.Time) (ExpireResult, error)
	// Stats returns the current totals.
	Stats() MailStats
}
