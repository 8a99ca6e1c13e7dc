package api

import "time"

// Status is the delivery status of a message.
//
// Outgoing messages move queued -> sent -> delivered -> read, or end in
// failed; held is a side state (a key change to a verified contact) that
// returns to queued on trust. Incoming messages are delivered, then read
// once shown. A wait for a status is satisfied by any later status in the
// order queued < sent < delivered < read.
type Status string

// Message statuses.
const (
	StatusQueued    Status = "queued"    // durably stored in the daemon's outbox; not yet accepted by the relay
	StatusHeld      Status = "held"      // stored, but held: the recipient's key changed and the contact was verified; p2pctl trust releases it
	StatusSent      Status = "sent"      // the relay accepted it (fsynced in the recipient's mailbox)
	StatusDelivered Status = "delivered" // the recipient's daemon stored it (end-to-end receipt)
	StatusRead      Status = "read"      // the recipient displayed it (read receipts on)
	StatusFailed    Status = "failed"    // permanent failure; Message.Failure says why; never retried
)

// Direction tells whether a message was sent or received by this daemon.
type Direction string

// Directions.
const (
	DirectionOut Direction = "out"
	DirectionIn  Direction = "in"
)

// Message is one message in history, as every route and event shows it.
type Message struct {
	ID        string    `json:"id"`        // 32 lowercase hex characters, random 128 bits
	Seq       uint64    `json:"seq"`       // local sequence number, increasing in store order; history paging uses it
	Direction Direction `json:"direction"` // out or in
	Peer      string    `json:"peer"`      // the other user (normalised username, no @)
	Text      string    `json:"text"`      // UTF-8 plaintext
	Status    Status    `json:"status"`
	Time      time.Time `json:"time"`    // when it was queued (out) or stored (in), RFC 3339 UTC
	Updated   time.Time `json:"updated"` // when Status last changed
	// Failure is set when Status is failed: Code is one of unknown_user,
	// no_prekeys, message_too_large, relay_busy, key_changed, internal, or
	// (incoming messages) undecryptable.
	Failure *Error `json:"failure,omitempty"`
	// Warning is set when the message went out despite a condition worth
	// telling: "key_changed" (sent to an unverified contact whose key
	// changed, under the warn policy).
	Warning Code `json:"warning,omitempty"`
}

// SendParams is the body of POST /v1/send.
type SendParams struct {
	To   string `json:"to"`   // username, an optional leading @ is ignored
	Text string `json:"text"` // 1..MaxTextBytes bytes of valid UTF-8
	// Wait, when set (sent, delivered or read), makes the request return only
	// once the message reaches that status or a later one, or fails, or the
	// wait times out. The message is stored before waiting starts: a wait
	// that ends in an error still reports its id in Error.MessageID.
	Wait Status `json:"wait,omitempty"`
	// TimeoutMS bounds the wait in milliseconds: 0 means DefaultWaitMS, at
	// most MaxWaitMS. Ignored without Wait.
	TimeoutMS int64 `json:"timeout_ms,omitempty"`
}

// SendResult is the response of POST /v1/send.
//
// Without Wait it returns at once with status queued (or held). With Wait
// it returns when the status is reached; otherwise an error: timeout (wait
// over), relay_unreachable (wait over and no relay link), key_changed (the
// message is held), message_failed — each with Error.MessageID set.
type SendResult struct {
	Message Message `json:"message"`
	// Relay is the relay link state when the call returned; anything but
	// connected means the message stays queued until the link is back
	// (p2pctl exits 6 then).
	Relay LinkState `json:"relay"`
}

// MessageParams selects GET /v1/messages/{id}. Wait and TimeoutMS (query
// parameters wait and timeout_ms) behave as in [SendParams].
type MessageParams struct {
	ID        string `json:"-" path:"id"`
	Wait      Status `json:"-" query:"wait"`
	TimeoutMS int64  `json:"-" query:"timeout_ms"`
}

// MessageResult is the response of GET /v1/messages/{id}.
type MessageResult struct {
	Message Message `json:"message"`
}

// HistoryParams selects GET /v1/contacts/{user}/history.
type HistoryParams struct {
	User   string `json:"-" path:"user"`
	Limit  int    `json:"-" query:"limit"`  // 0 means DefaultHistoryLimit; at most MaxHistoryLimit
	Before uint64 `json:"-" query:"before"` // only messages with Seq < Before; 0 means the newest
}

// HistoryResult is one page of history, oldest first. More reports whether
// older messages exist (ask again with Before = Messages[0].Seq).
type HistoryResult struct {
	User     string    `json:"user"`
	Messages []Message `json:"messages"`
	More     bool      `json:"more"`
}

// InspectParams selects GET /v1/messages/{id}/inspect.
type InspectParams struct {
	ID string `json:"-" path:"id"`
}

// InspectResult shows the public cryptographic details of one message, as
// it travelled. Binary values are lowercase hex. It never contains a private
// key, a root/chain/message key, an IV derived from a message key, or
// plaintext other than what Message already shows.
type InspectResult struct {
	ID        string    `json:"id"`
	Direction Direction `json:"direction"`
	Peer      string    `json:"peer"`
	Cipher    string    `json:"cipher"` // e.g. "AES-256-CTR + HMAC-SHA-256 (HKDF-SHA-256 message keys)"
	// Identity fingerprints of both sides (as shown in safety numbers).
	SenderFingerprint    string `json:"sender_fingerprint"`
	RecipientFingerprint string `json:"recipient_fingerprint"`
	// Double-ratchet header.
	RatchetKey      string `json:"ratchet_key"`      // sender's current ratchet public key, 33 bytes compressed
	Counter         uint32 `json:"counter"`          // message number in the sending chain
	PreviousCounter uint32 `json:"previous_counter"` // length of the previous sending chain
	// Session setup (first messages of a session only).
	// The envelope names the recipient's prekeys by ID only; their public
	// keys are not shown, because neither side can always give them (the
	// sender does not keep the fetched bundle, the recipient deletes a
	// one-time prekey once used and keeps only its last 3 signed prekeys).
	Initial         bool   `json:"initial"`                      // the message carries an X3DH-style prekey header
	EphemeralKey    string `json:"ephemeral_key,omitempty"`      // sender's ephemeral (base) public key
	SignedPrekeyID  uint32 `json:"signed_prekey_id,omitempty"`   // ID of the recipient's signed prekey used
	OneTimePrekeyID uint32 `json:"one_time_prekey_id,omitempty"` // ID of the recipient's one-time prekey used; 0: none
	// Envelope. The MAC is HMAC(message key, AssociatedData || ciphertext).
	AssociatedData string `json:"associated_data"` // hex: version, both identity keys, both usernames, binary header
	Ciphertext     string `json:"ciphertext"`
	MAC            string `json:"mac"`
	EnvelopeBytes  int    `json:"envelope_bytes"` // size of the whole envelope as sent to the relay
}
