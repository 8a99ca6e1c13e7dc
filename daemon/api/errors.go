package api

// Code is a stable error code carried in every error response. Codes never
// change meaning; new ones are only added. Match on codes, never on messages.
type Code string

// Error codes. The comment after each names its HTTP status and p2pctl exit
// code; [Codes] is the authoritative table.
const (
	CodeBadRequest           Code = "bad_request"            // 400, exit 2: malformed JSON, unknown field, bad parameter
	CodeBadUsername          Code = "bad_username"           // 400, exit 2: username outside the allowed form
	CodeBadPassword          Code = "bad_password"           // 400, exit 2: password too short or too long
	CodeEmptyMessage         Code = "empty_message"          // 400, exit 2: message text is empty
	CodeMessageTooLarge      Code = "message_too_large"      // 413, exit 2: text over MaxTextBytes or body over MaxRequestBytes
	CodeBadCursor            Code = "bad_cursor"             // 400, exit 2: since is not a cursor this daemon issued
	CodeUnknownRoute         Code = "unknown_route"          // 404, exit 1: no such path (check the API version)
	CodeMethodNotAllowed     Code = "method_not_allowed"     // 405, exit 1: path exists, method does not
	CodeForbidden            Code = "forbidden"              // 403, exit 3: peer uid, Origin/Referer or Host refused
	CodeDaemonNotRunning     Code = "daemon_not_running"     // client-side, exit 3: nothing listens on the socket
	CodeDaemonUnreachable    Code = "daemon_unreachable"     // client-side, exit 3: socket exists but the daemon did not answer properly
	CodeShuttingDown         Code = "shutting_down"          // 503, exit 3: the daemon is stopping
	CodeNotLoggedIn          Code = "not_logged_in"          // 401, exit 4: register or log in first
	CodeAuthFailed           Code = "auth_failed"            // 401, exit 4: wrong username or password
	CodeNotFound             Code = "not_found"              // 404, exit 5: no such message id or contact
	CodeUnknownUser          Code = "unknown_user"           // 404, exit 5: the relay has no such user
	CodeNoPrekeys            Code = "no_prekeys"             // 404, exit 5: the user has published no keys yet
	CodeRelayUnreachable     Code = "relay_unreachable"      // 503, exit 6: no relay link; messages stay queued
	CodeTimeout              Code = "timeout"                // 504, exit 7: a wait ended before the status was reached
	CodeKeyChanged           Code = "key_changed"            // 409, exit 8: contact's identity key changed; message held until trust
	CodeSafetyNumberMismatch Code = "safety_number_mismatch" // 409, exit 8: the safety number given is not the current one
	CodeRelayKeyMismatch     Code = "relay_key_mismatch"     // 502, exit 8: the relay's key differs from the pinned one
	CodeUsernameTaken        Code = "username_taken"         // 409, exit 9: register with another name
	CodeAlreadyLoggedIn      Code = "already_logged_in"      // 409, exit 9: log out first
	CodeRateLimited          Code = "rate_limited"           // 429, exit 10: too many attempts; retry later
	CodeRelayBusy            Code = "relay_busy"             // 503, exit 10: relay overloaded or recipient mailbox full; retry later
	CodeMessageFailed        Code = "message_failed"         // 422, exit 11: the message reached status failed (see failure)
	CodeUndecryptable        Code = "undecryptable"          // 422, exit 11: an incoming message could not be decrypted (a failure code)
	CodeInternal             Code = "internal"               // 500, exit 1: daemon-side failure
)

// Exit codes of p2pctl. Each [Code] maps to exactly one (see [Codes]).
const (
	ExitOK            = 0   // success
	ExitError         = 1   // unexpected or internal error
	ExitUsage         = 2   // bad command line or bad input (unknown command/flag, empty or oversized message, bad username)
	ExitNotRunning    = 3   // p2pd not running, unreachable, refusing this user, or stopping
	ExitAuth          = 4   // not logged in, or wrong username/password
	ExitNotFound      = 5   // unknown user, message or contact
	ExitRelayDown     = 6   // relay unreachable: the message IS queued and will be sent later; do not resend
	ExitTimeout       = 7   // --wait timed out: the message IS queued; its status is in the output
	ExitKeyChanged    = 8   // an identity key changed and is not trusted yet (message held), or a key mismatch
	ExitConflict      = 9   // username taken, or already logged in
	ExitRetryLater    = 10  // rate limited, relay busy or mailbox full: retry later
	ExitMessageFailed = 11  // the message failed permanently (reason printed), or could not be decrypted
	ExitInterrupted   = 130 // interrupted by a signal (Ctrl-C) before finishing
)

// CodeInfo is one row of the error table.
type CodeInfo struct {
	Code       Code
	HTTPStatus int    // 0 for client-side codes, which never travel on the wire
	Exit       int    // p2pctl exit code
	Hint       string // what the user should do next (p2pctl prints it)
}

// Codes is the one table mapping error codes to HTTP statuses, p2pctl exit
// codes and hints. Sorted by Code; a test guards it.
var Codes = []CodeInfo{
	{CodeAlreadyLoggedIn, 409, ExitConflict, "log out first: p2pctl logout"},
	{CodeAuthFailed, 401, ExitAuth, "check the username and password and try again"},
	{CodeBadCursor, 400, ExitUsage, "use a cursor printed by p2pctl watch --json, or omit --since"},
	{CodeBadPassword, 400, ExitUsage, "passwords are 8 to 256 bytes"},
	{CodeBadRequest, 400, ExitUsage, "see p2pctl help"},
	{CodeBadUsername, 400, ExitUsage, "usernames are 3 to 32 characters a-z, 0-9 and _, starting with a letter"},
	{CodeDaemonNotRunning, 0, ExitNotRunning, "start it with: p2pd --relay HOST:PORT"},
	{CodeDaemonUnreachable, 0, ExitNotRunning, "check that p2pd runs as your user and that --socket names its socket"},
	{CodeEmptyMessage, 400, ExitUsage, "give the message text as an argument, or - to read it from stdin"},
	{CodeForbidden, 403, ExitNotRunning, "run p2pctl as the user that runs p2pd"},
	{CodeInternal, 500, ExitError, "see the p2pd log"},
	{CodeKeyChanged, 409, ExitKeyChanged, "compare safety numbers with p2pctl verify @USER, then accept the new key with p2pctl trust @USER"},
	{CodeMessageFailed, 422, ExitMessageFailed, "see the failure reason; the message will not be retried"},
	{CodeMessageTooLarge, 413, ExitUsage, "messages are at most 16384 bytes"},
	{CodeMethodNotAllowed, 405, ExitError, "see daemon/api/API.md for the routes"},
	{CodeNoPrekeys, 404, ExitNotFound, "the user has not logged in since registering; try again later"},
	{CodeNotFound, 404, ExitNotFound, "check the id or username (p2pctl contacts, p2pctl history @USER)"},
	{CodeNotLoggedIn, 401, ExitAuth, "log in first: p2pctl login USER"},
	{CodeRateLimited, 429, ExitRetryLater, "wait a minute and try again"},
	{CodeRelayBusy, 503, ExitRetryLater, "try again later"},
	{CodeRelayKeyMismatch, 502, ExitKeyChanged, "the relay's key differs from the pinned one: check --relay-key with the relay operator"},
	{CodeRelayUnreachable, 503, ExitRelayDown, "the message is queued and will be sent when the relay is reachable; see p2pctl status"},
	{CodeSafetyNumberMismatch, 409, ExitKeyChanged, "the key changed since you compared: run p2pctl verify @USER again"},
	{CodeShuttingDown, 503, ExitNotRunning, "p2pd is stopping; start it again"},
	{CodeTimeout, 504, ExitTimeout, "the message is queued; check later with p2pctl status or watch"},
	{CodeUndecryptable, 422, ExitMessageFailed, "ask the sender to send it again; p2pctl inspect MSGID shows the envelope"},
	{CodeUnknownRoute, 404, ExitError, "see daemon/api/API.md for the routes"},
	{CodeUnknownUser, 404, ExitNotFound, "check the username"},
	{CodeUsernameTaken, 409, ExitConflict, "choose another username"},
}

// Info returns the table row of c, or the row of [CodeInternal] (with Code
// set to c) for a code this version does not know.
func Info(c Code) CodeInfo {
	for _, ci := range Codes {
		if ci.Code == c {
			return ci
		}
	}
	ci := Info(CodeInternal)
	ci.Code = c
	ci.Hint = ""
	return ci
}

// ExitCode is the p2pctl exit code for c.
func ExitCode(c Code) int { return Info(c).Exit }

// HTTPStatus is the HTTP status the daemon answers with for c (500 for
// unknown and client-side codes).
func HTTPStatus(c Code) int {
	if s := Info(c).HTTPStatus; s != 0 {
		return s
	}
	return 500
}

// ErrorResponse is the one error shape: every non-2xx response body is
//
//	{"error":{"code":"not_logged_in","message":"not logged in"}}
type ErrorResponse struct {
	Error Error `json:"error"`
}

// Error is the body of an error response. It implements error so the server
// can return it directly.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"` // lowercase, human-readable, never secret; may change between versions
	// MessageID is set when the error concerns a message that was stored
	// anyway (a send whose wait timed out, was held, or found the relay
	// unreachable): the message is queued under this id; do not resend.
	MessageID string `json:"message_id,omitempty"`
}

func (e *Error) Error() string {
	if e.Message == "" {
		return string(e.Code)
	}
	return e.Message
}
