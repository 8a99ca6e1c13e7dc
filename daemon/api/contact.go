package api

import "time"

// Trust is what the user has established about a contact's identity key.
type Trust string

// Trust states.
const (
	TrustUnverified Trust = "unverified" // key seen, safety number never confirmed
	TrustVerified   Trust = "verified"   // safety number confirmed by the user (p2pctl verify --mark)
)

// KeyChangePolicy says what happens to outgoing messages after a contact's
// identity key changes, until the user trusts the new key.
type KeyChangePolicy string

// Key-change policies.
const (
	PolicyDefault KeyChangePolicy = "default" // hold for verified contacts, warn for unverified ones
	PolicyHold    KeyChangePolicy = "hold"    // always hold
	PolicyWarn    KeyChangePolicy = "warn"    // always send, with Message.Warning = key_changed
)

// Contact is one known user.
type Contact struct {
	Username     string          `json:"username"`
	Fingerprint  string          `json:"fingerprint"` // current identity key fingerprint
	Trust        Trust           `json:"trust"`
	KeyChanged   bool            `json:"key_changed"`           // a key change is pending trust
	Held         int             `json:"held"`                  // outgoing messages held by the pending key change
	Policy       KeyChangePolicy `json:"policy"`                // key-change policy
	ReadReceipts bool            `json:"read_receipts"`         // whether read receipts are sent to this contact
	LastMessage  time.Time       `json:"last_message,omitzero"` // zero when there is none
	Unread       int             `json:"unread"`
}

// ContactsParams selects GET /v1/contacts (no parameters).
type ContactsParams struct{}

// ContactsResult lists contacts sorted by username.
type ContactsResult struct {
	Contacts []Contact `json:"contacts"`
}

// ContactParams selects GET /v1/contacts/{user}.
type ContactParams struct {
	User string `json:"-" path:"user"`
}

// ContactResult is the response of the single-contact routes.
type ContactResult struct {
	Contact Contact `json:"contact"`
}

// SafetyNumberParams selects GET /v1/contacts/{user}/safety-number.
type SafetyNumberParams struct {
	User string `json:"-" path:"user"`
}

// SafetyNumberResult is the safety number of this daemon's identity key and
// the contact's current one: identical on both sides, to be compared out of
// band (in person, by phone).
type SafetyNumberResult struct {
	User             string `json:"user"`
	SafetyNumber     string `json:"safety_number"` // digits in groups of five, separated by single spaces
	OwnFingerprint   string `json:"own_fingerprint"`
	TheirFingerprint string `json:"their_fingerprint"`
	Trust            Trust  `json:"trust"`
	KeyChanged       bool   `json:"key_changed"`
}

// VerifyParams is the body of POST /v1/contacts/{user}/verify: mark the
// contact verified. SafetyNumber must be the number the user compared; if
// the key changed since, the daemon answers safety_number_mismatch and
// changes nothing. Verifying also accepts a pending key change.
type VerifyParams struct {
	User         string `json:"-" path:"user"`
	SafetyNumber string `json:"safety_number"` // spaces are ignored
}

// TrustParams is the body of POST /v1/contacts/{user}/trust: accept the
// contact's changed identity key. Held messages are re-encrypted to the new
// key and queued. The contact becomes unverified (compare the new safety
// number and verify again). Fingerprint, when set, must equal the pending
// key's fingerprint (else safety_number_mismatch).
type TrustParams struct {
	User        string `json:"-" path:"user"`
	Fingerprint string `json:"fingerprint,omitempty"`
}

// TrustResult is the response of POST /v1/contacts/{user}/trust.
type TrustResult struct {
	Contact  Contact `json:"contact"`
	Released int     `json:"released"` // held messages queued again
}

// ContactSettingsParams is the body of POST /v1/contacts/{user}/settings.
// Nil fields are left unchanged.
type ContactSettingsParams struct {
	User         string           `json:"-" path:"user"`
	Policy       *KeyChangePolicy `json:"policy,omitempty"`
	ReadReceipts *bool            `json:"read_receipts,omitempty"`
}

// KeyChange describes a contact's identity key change.
type KeyChange struct {
	User           string    `json:"user"`
	OldFingerprint string    `json:"old_fingerprint"`
	NewFingerprint string    `json:"new_fingerprint"`
	WasVerified    bool      `json:"was_verified"` // outgoing messages are held when true (default policy)
	Held           int       `json:"held"`
	Time           time.Time `json:"time"`
}
