package api

import "time"

// EventType names the payload of an [Event].
type EventType string

// Event types. Exactly the matching payload field of [Event] is set.
const (
	EventMessage    EventType = "message"    // a message was received (Message)
	EventStatus     EventType = "status"     // an outgoing message changed status (Message, with the new Status)
	EventKeyChange  EventType = "key_change" // a contact's identity key changed (KeyChange)
	EventContact    EventType = "contact"    // a contact was added, verified, trusted or changed settings (Contact)
	EventConnection EventType = "connection" // the relay link changed state (Connection)
	EventAccount    EventType = "account"    // registered, logged in or logged out (Account)
	EventOverflow   EventType = "overflow"   // events were lost to this consumer (Overflow): it fell behind and is cut off, or since was older than the log
)

// Event is one line of GET /v1/events.
//
// NDJSON (the default, Content-Type application/x-ndjson): one JSON object
// per line. SSE (when Accept: text/event-stream): "id: CURSOR", "event:
// TYPE", "data: JSON" lines and a blank line; Last-Event-ID is honoured like
// since. Cursors are strictly increasing; ?since=C replays every retained
// event with Cursor > C, then streams live ones, so a consumer that
// reconnects with the last cursor it processed misses nothing.
type Event struct {
	Cursor uint64    `json:"cursor"`
	Type   EventType `json:"type"`
	Time   time.Time `json:"time"`

	Message    *Message         `json:"message,omitempty"`
	KeyChange  *KeyChange       `json:"key_change,omitempty"`
	Contact    *Contact         `json:"contact,omitempty"`
	Connection *ConnectionEvent `json:"connection,omitempty"`
	Account    *AccountEvent    `json:"account,omitempty"`
	Overflow   *Overflow        `json:"overflow,omitempty"`
}

// EventsParams selects GET /v1/events.
type EventsParams struct {
	// Since resumes after this cursor (query parameter since). Absent: only
	// new events. 0: every retained event. A cursor larger than the newest
	// one is bad_cursor.
	Since *uint64 `json:"-" query:"since"`
}

// ConnectionEvent reports a relay link state change.
type ConnectionEvent struct {
	State LinkState `json:"state"`
	Error *Error    `json:"error,omitempty"` // why, for disconnected/relay_key_mismatch/unauthorized
}

// AccountEvent reports an account session change.
type AccountEvent struct {
	Username string `json:"username"`
	LoggedIn bool   `json:"logged_in"`
}

// Overflow reports events lost to this consumer.
//
// Reason slow_consumer: the consumer fell too far behind; this is the last
// event of the stream and the daemon closes it. Resume is the cursor of the
// last event sent to this consumer: reconnect with since=Resume and nothing
// is lost (as long as the log still holds it). The overflow event's own
// Cursor is the newest cursor when it happened.
//
// Reason truncated: since was older than the retained log; sent first, then
// the stream continues from Oldest. Resume equals the since asked for.
//
// Oldest is the oldest cursor still retained.
type Overflow struct {
	Reason string `json:"reason"` // slow_consumer or truncated
	Oldest uint64 `json:"oldest"`
	Resume uint64 `json:"resume"`
}

// Overflow reasons.
const (
	OverflowSlowConsumer = "slow_consumer"
	OverflowTruncated    = "truncated"
)
