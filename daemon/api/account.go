package api

import "time"

// RegisterParams is the body of POST /v1/register. The daemon creates the
// account on the relay, binds its identity key to it and stays logged in.
type RegisterParams struct {
	Username string `json:"username"` // an optional leading @ is ignored; lowercased
	Password string `json:"password"` // never logged, stored or echoed
}

// LoginParams is the body of POST /v1/login.
type LoginParams struct {
	Username string `json:"username"`
	Password string `json:"password"` // never logged, stored or echoed
}

// AccountResult is the response of register and login.
type AccountResult struct {
	Username    string `json:"username"`
	Fingerprint string `json:"fingerprint"` // this daemon's identity key fingerprint
	// KeyChanged is true when the relay had another identity key bound to
	// this account (this daemon's key replaced it; contacts will be told).
	KeyChanged bool `json:"key_changed"`
}

// LogoutParams is the (empty) body of POST /v1/logout.
type LogoutParams struct{}

// LogoutResult is the response of POST /v1/logout. The outbox is kept;
// queued messages go out after the next login.
type LogoutResult struct {
	Username string `json:"username"` // who was logged out
}

// StatusParams selects GET /v1/status (no parameters).
type StatusParams struct{}

// LinkState is the state of the daemon's link to the relay.
type LinkState string

// Link states.
const (
	LinkConnected    LinkState = "connected"          // authenticated session with the relay
	LinkConnecting   LinkState = "connecting"         // dialing or handshaking; retrying with backoff
	LinkDisconnected LinkState = "disconnected"       // unreachable; retrying with backoff (see RelayStatus.LastError)
	LinkLoggedOut    LinkState = "logged_out"         // no account session: register or log in
	LinkKeyMismatch  LinkState = "relay_key_mismatch" // the relay's key differs from the pinned one; not retried
	LinkUnauthorized LinkState = "unauthorized"       // the relay refused the session (resume failed): log in again
	LinkShuttingDown LinkState = "shutting_down"      // the daemon is stopping
)

// StatusResult is the response of GET /v1/status.
type StatusResult struct {
	DaemonVersion string       `json:"daemon_version"`
	APIVersion    string       `json:"api_version"` // "v1"
	Username      string       `json:"username"`    // empty when logged out
	LoggedIn      bool         `json:"logged_in"`
	Fingerprint   string       `json:"fingerprint"` // this daemon's identity key fingerprint
	Relay         RelayStatus  `json:"relay"`
	Outbox        OutboxStatus `json:"outbox"`
	// KeyChanges lists contacts whose identity key changed and is not yet
	// trusted (messages to verified ones are held).
	KeyChanges []KeyChange `json:"key_changes"`
	// Undecryptable counts incoming messages that could not be decrypted
	// since the state directory was created; each is in its sender's
	// history with status failed and failure code [CodeUndecryptable].
	Undecryptable uint64 `json:"undecryptable"`
	Cursor        uint64 `json:"cursor"` // cursor of the newest event; watch --since it to see only new ones
}

// RelayStatus describes the link to the relay.
type RelayStatus struct {
	Address        string    `json:"address"` // the HOST:PORT of --relay in use (or being dialled)
	State          LinkState `json:"state"`
	KeyFingerprint string    `json:"key_fingerprint"` // pinned relay key fingerprint; empty before first contact
	Since          time.Time `json:"since"`           // when State last changed
	LastError      *Error    `json:"last_error,omitempty"`
	// Protocol is the relay protocol version of the current connection
	// (2; 1 against an older relay, which works without batched
	// acknowledgements); 0 while not connected.
	Protocol uint64 `json:"protocol"`
}

// OutboxStatus counts outgoing messages not yet sent.
type OutboxStatus struct {
	Queued int `json:"queued"`
	Held   int `json:"held"`
}
