package store

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/securep2p/securep2p/wire"
)

// ID is a random 128-bit message id; its text form is 32 lowercase hex digits.
type ID [wire.IDSize]byte

// NewID returns a fresh random id.
func NewID() ID {
	var id ID
	_, _ = rand.Read(id[:]) // crypto/rand.Read never fails (Go 1.24+)
	return id
}

// ParseID parses the 32-lowercase-hex-digit text form (the only form).
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 2*len(id) {
		return id, fmt.Errorf("store: message id must be %d hex digits", 2*len(id))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil || hex.EncodeToString(id[:]) != s {
		return ID{}, fmt.Errorf("store: message id is not lowercase hex")
	}
	return id, nil
}

// IDFromBytes converts a wire id.
func IDFromBytes(b []byte) (ID, bool) {
	var id ID
	if len(b) != len(id) {
		return id, false
	}
	copy(id[:], b)
	return id, true
}

func (id ID) String() string { return hex.EncodeToString(id[:]) }

// MarshalText implements encoding.TextMarshaler.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	*id = v
	return err
}

// Account is the relay account this daemon acts for. There is no password
// field on purpose.
type Account struct {
	Username string `json:"username,omitempty"`
	LoggedIn bool   `json:"logged_in"` // a password login/register bound our key; reconnects Resume
}

// Trust is a contact's trust state.
type Trust string

// Trust states.
const (
	Unverified Trust = "unverified"
	Verified   Trust = "verified"
)

// HoldPolicy says what happens to outgoing messages after a contact's
// identity key changed and before the user trusts the new key.
type HoldPolicy string

// Hold policies. The default (empty) holds for verified contacts only.
const (
	HoldDefault HoldPolicy = ""       // hold if the contact was verified, else send with a warning
	HoldAlways  HoldPolicy = "always" // always hold until trust
	HoldNever   HoldPolicy = "never"  // never hold (a warning only)
)

// KeyChange records one identity-key change of a contact.
type KeyChange struct {
	Old  []byte    `json:"old"`
	New  []byte    `json:"new"`
	At   time.Time `json:"at"`
	Seen string    `json:"seen"` // "bundle" or "message": where the change was noticed
}

// MaxKeyHistory bounds Contact.KeyHistory (oldest entries dropped).
const MaxKeyHistory = 32

// Contact is what we know about a peer.
type Contact struct {
	Username     string      `json:"username"`
	IdentityKey  []byte      `json:"identity_key"` // 33 bytes, the key we currently accept
	Trust        Trust       `json:"trust"`
	KeyHistory   []KeyChange `json:"key_history,omitempty"`
	KeyChanged   bool        `json:"key_changed,omitempty"` // a change not yet acknowledged with trust
	ReadReceipts bool        `json:"read_receipts,omitempty"`
	Hold         HoldPolicy  `json:"hold,omitempty"`
	Added        time.Time   `json:"added"`
}

// AddKeyChange appends a change, keeping at most MaxKeyHistory entries.
func (c *Contact) AddKeyChange(k KeyChange) {
	c.KeyHistory = append(c.KeyHistory, k)
	if n := len(c.KeyHistory); n > MaxKeyHistory {
		c.KeyHistory = append([]KeyChange(nil), c.KeyHistory[n-MaxKeyHistory:]...)
	}
}

// ShouldHold reports whether outgoing messages wait for trust right now.
func (c *Contact) ShouldHold() bool {
	if !c.KeyChanged {
		return false
	}
	switch c.Hold {
	case HoldAlways:
		return true
	case HoldNever:
		return false
	}
	return c.Trust == Verified
}

// Direction of a message.
type Direction string

// Directions.
const (
	Out Direction = "out"
	In  Direction = "in"
)

// Status of a message.
type Status string

// Statuses (the same words as daemon/api). Outgoing: queued -> sent ->
// delivered -> read, or held, or failed. Incoming: delivered, then read once
// shown.
const (
	Queued    Status = "queued"
	Held      Status = "held"
	Sent      Status = "sent"
	Delivered Status = "delivered"
	Read      Status = "read"
	Failed    Status = "failed"
)

// Rank orders outgoing statuses so that a late receipt never moves a
// message backwards.
func (s Status) Rank() int {
	switch s {
	case Held:
		return 0
	case Queued:
		return 1
	case Sent:
		return 2
	case Delivered:
		return 3
	case Read:
		return 4
	}
	return 5 // failed is terminal
}

// Kind of a message record.
type Kind string

// Kinds. Receipts are internal: they travel through the outbox but are not
// part of history.
const (
	KindText    Kind = "text"
	KindReceipt Kind = "receipt"
)

// Message is one history entry (or an internal receipt in flight).
type Message struct {
	ID       ID        `json:"id"`
	Peer     string    `json:"peer"`
	Dir      Direction `json:"dir"`
	Kind     Kind      `json:"kind"`
	Seq      uint64    `json:"seq,omitempty"` // per-peer history sequence; 0 for receipts
	Text     string    `json:"text,omitempty"`
	Content  []byte    `json:"content,omitempty"` // encoded e2e content for internal kinds
	Status   Status    `json:"status"`
	FailCode string    `json:"fail_code,omitempty"` // daemon/api error code when failed
	Reason   string    `json:"reason,omitempty"`    // human-readable reason when failed
	Warning  string    `json:"warning,omitempty"`   // daemon/api code, e.g. key_changed
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
	SentAt   time.Time `json:"sent_at,omitzero"` // relay acceptance time (incoming)

	// Envelope is the exact encrypted body (outgoing: handed to the relay,
	// retransmitted unchanged once set). EnvelopeKey is the peer's identity
	// key: for outgoing the recipient's it was encrypted for
	// (Send.IdentityKey), for incoming the sender's it authenticated with.
	Envelope    []byte `json:"envelope,omitempty"`
	EnvelopeKey []byte `json:"envelope_key,omitempty"`
	Tries       int    `json:"tries,omitempty"`
	OutboxSeq   uint64 `json:"outbox_seq,omitempty"` // position in the outbox while queued
}

// Event is one entry of the event log. Data is opaque JSON written by the
// engine; Cursor is assigned by the store.
type Event struct {
	Cursor uint64
	Data   []byte
}
