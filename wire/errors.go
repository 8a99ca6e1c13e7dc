package wire

import "fmt"

// Code is a stable numeric error code carried in [Error]. Values never change
// meaning; new codes are appended.
type Code uint16

// Error codes.
const (
	CodeBadFrame      Code = 1  // malformed, oversized, unknown or unexpected frame
	CodeVersion       Code = 2  // unsupported protocol version
	CodeHandshake     Code = 3  // hop handshake failed or timed out
	CodeAuthFailed    Code = 4  // wrong username or password, or bad resume signature (one code: no enumeration)
	CodeUserExists    Code = 5  // username already registered
	CodeBadUsername   Code = 6  // username outside the allowed form
	CodeBadPassword   Code = 7  // password too short or too long
	CodeRateLimited   Code = 8  // too many attempts; retry later
	CodeNotAuthed     Code = 9  // request needs a logged-in session
	CodeUnknownUser   Code = 10 // recipient or bundle owner does not exist
	CodeMailboxFull   Code = 11 // recipient's mailbox is over quota
	CodeTooLarge      Code = 12 // a field or frame exceeds a limit
	CodeBadKey        Code = 13 // invalid public key or prekey signature
	CodeInternal      Code = 14 // relay-side failure; retry
	CodeShuttingDown  Code = 15 // relay is stopping; reconnect later
	CodeBusy          Code = 16 // relay is overloaded (connection or queue limit); retry later
	CodeNoPrekeys     Code = 17 // the user has no signed prekey published
	CodeAlreadyAuthed Code = 18 // connection is already logged in
	CodeKeyChanged    Code = 19 // Send.IdentityKey is not the recipient's current identity key
)

var codeNames = map[Code]string{
	CodeBadFrame: "bad frame", CodeVersion: "unsupported version", CodeHandshake: "handshake failed",
	CodeAuthFailed: "authentication failed", CodeUserExists: "username taken",
	CodeBadUsername: "invalid username", CodeBadPassword: "invalid password",
	CodeRateLimited: "rate limited", CodeNotAuthed: "not logged in", CodeUnknownUser: "unknown user",
	CodeMailboxFull: "mailbox full", CodeTooLarge: "too large", CodeBadKey: "invalid key",
	CodeInternal: "internal relay error", CodeShuttingDown: "relay shutting down", CodeBusy: "relay busy",
	CodeNoPrekeys: "no prekeys published", CodeAlreadyAuthed: "already logged in",
	CodeKeyChanged: "recipient identity key changed",
}

func (c Code) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return fmt.Sprintf("code %d", uint16(c))
}

// Err turns an Error frame into a Go error that callers can inspect with
// errors.As.
func (e *Error) Err() error { return &RemoteError{Code: e.Code, Message: e.Message} }

// RemoteError is an error reported by the other end of the wire.
type RemoteError struct {
	Code    Code
	Message string
}

func (e *RemoteError) Error() string {
	if e.Message == "" {
		return "relay: " + e.Code.String()
	}
	return "relay: " + e.Code.String() + ": " + e.Message
}
