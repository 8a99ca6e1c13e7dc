package engine

import (
	"errors"
	"fmt"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/link"
	"github.com/securep2p/securep2p/wire"
)

func apiErr(code api.Code, format string, args ...any) *api.Error {
	return &api.Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// wireCodes maps relay error codes to API codes.
var wireCodes = map[wire.Code]api.Code{
	wire.CodeAuthFailed:    api.CodeAuthFailed,
	wire.CodeUserExists:    api.CodeUsernameTaken,
	wire.CodeBadUsername:   api.CodeBadUsername,
	wire.CodeBadPassword:   api.CodeBadPassword,
	wire.CodeRateLimited:   api.CodeRateLimited,
	wire.CodeNotAuthed:     api.CodeNotLoggedIn,
	wire.CodeUnknownUser:   api.CodeUnknownUser,
	wire.CodeMailboxFull:   api.CodeRelayBusy,
	wire.CodeTooLarge:      api.CodeMessageTooLarge,
	wire.CodeBusy:          api.CodeRelayBusy,
	wire.CodeShuttingDown:  api.CodeRelayUnreachable,
	wire.CodeNoPrekeys:     api.CodeNoPrekeys,
	wire.CodeAlreadyAuthed: api.CodeAlreadyLoggedIn,
	wire.CodeKeyChanged:    api.CodeKeyChanged,
}

// fromRelay converts an error from a relay request into an *api.Error.
func fromRelay(op string, err error) *api.Error {
	var re *wire.RemoteError
	if errors.As(err, &re) {
		if c, ok := wireCodes[re.Code]; ok {
			return apiErr(c, "%s: %s", op, re.Code)
		}
		return apiErr(api.CodeInternal, "%s: relay error: %s", op, re.Code)
	}
	if errors.Is(err, link.ErrClosed) || errors.Is(err, link.ErrQueueFull) {
		return apiErr(api.CodeRelayUnreachable, "%s: relay connection lost", op)
	}
	return apiErr(api.CodeRelayUnreachable, "%s: %v", op, err)
}

// remoteCode returns the relay error code in err, if any.
func remoteCode(err error) (wire.Code, bool) {
	var re *wire.RemoteError
	if errors.As(err, &re) {
		return re.Code, true
	}
	return 0, false
}
