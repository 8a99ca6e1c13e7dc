package client

import (
	"context"
	"errors"

	"github.com/securep2p/securep2p/daemon/api"
)

// Error is an error from p2pd (decoded from the API's error shape) or from
// reaching it (client-side codes daemon_not_running, daemon_unreachable,
// forbidden). Inspect it with errors.As, [CodeOf] or the IsX helpers.
type Error struct {
	Code       api.Code
	Message    string // lowercase, human-readable; from the daemon or the client
	MessageID  string // set when the error concerns a message that was stored anyway
	HTTPStatus int    // 0 for client-side errors
	Err        error  // the underlying cause of a client-side error, if any
}

func (e *Error) Error() string {
	if e.Message == "" {
		return string(e.Code)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Hint is what the user should do next (from api.Codes).
func (e *Error) Hint() string { return api.Info(e.Code).Hint }

// CodeOf returns the API code carried by err, or "" when err is nil or not
// an *Error.
func CodeOf(err error) api.Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// ExitCode is the p2pctl exit code for err: 0 for nil, the table's code for
// an *Error, 130 for a cancelled context, 1 otherwise.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return api.ExitOK
	case CodeOf(err) != "":
		return api.ExitCode(CodeOf(err))
	case errors.Is(err, context.Canceled):
		return api.ExitInterrupted
	}
	return api.ExitError
}

func is(err error, codes ...api.Code) bool {
	c := CodeOf(err)
	for _, want := range codes {
		if c == want {
			return true
		}
	}
	return false
}

// IsNotRunning reports whether nothing listens on the socket.
func IsNotRunning(err error) bool { return is(err, api.CodeDaemonNotRunning) }

// IsUnreachable reports whether p2pd could not be used: not running,
// unreachable, refusing this user, or stopping.
func IsUnreachable(err error) bool {
	return is(err, api.CodeDaemonNotRunning, api.CodeDaemonUnreachable, api.CodeForbidden, api.CodeShuttingDown)
}

// IsNotLoggedIn reports whether the call needs a logged-in account.
func IsNotLoggedIn(err error) bool { return is(err, api.CodeNotLoggedIn) }

// IsAuthFailed reports a wrong username or password.
func IsAuthFailed(err error) bool { return is(err, api.CodeAuthFailed) }

// IsNotFound reports an unknown message, contact or user.
func IsNotFound(err error) bool { return is(err, api.CodeNotFound, api.CodeUnknownUser) }

// IsUsernameTaken reports a registration with a taken name.
func IsUsernameTaken(err error) bool { return is(err, api.CodeUsernameTaken) }

// IsRelayUnreachable reports that the daemon has no relay link.
func IsRelayUnreachable(err error) bool { return is(err, api.CodeRelayUnreachable) }

// IsTimeout reports a wait that ended before the status was reached.
func IsTimeout(err error) bool { return is(err, api.CodeTimeout) }

// IsKeyChanged reports an untrusted key change (message held) or a
// safety-number mismatch.
func IsKeyChanged(err error) bool {
	return is(err, api.CodeKeyChanged, api.CodeSafetyNumberMismatch)
}

// IsBadInput reports input the daemon refused (exit code 2).
func IsBadInput(err error) bool {
	c := CodeOf(err)
	return c != "" && api.ExitCode(c) == api.ExitUsage
}

// MessageIDOf returns the id of the message an error concerns (stored
// anyway: do not resend), or "".
func MessageIDOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.MessageID
	}
	return ""
}
