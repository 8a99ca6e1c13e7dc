package ctl

import (
	"errors"
	"fmt"
	"strings"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/client"
)

// usageError is a bad command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// apiErr makes a client-side error carrying an API code (so the exit code
// and hint come from the one table).
func apiErr(code api.Code, format string, args ...any) error {
	return &client.Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// helpShown ends a command after it printed its own help (exit 0).
var helpShown = errors.New("help shown")

// exitCode maps an error to p2pctl's exit code.
func exitCode(err error) int {
	var u *usageError
	switch {
	case err == nil, errors.Is(err, helpShown):
		return api.ExitOK
	case errors.As(err, &u):
		return api.ExitUsage
	}
	return client.ExitCode(err)
}

// finish prints err (with what to do next) and returns the exit code.
func (c *cli) finish(err error) int {
	code := exitCode(err)
	if code == api.ExitOK {
		return code
	}
	var u *usageError
	var ce *client.Error
	switch {
	case errors.As(err, &u):
		fmt.Fprintf(c.stdio.Err, "p2pctl: %s\n", u.msg)
	case errors.As(err, &ce):
		if c.json {
			c.printJSON(api.ErrorResponse{Error: api.Error{Code: ce.Code, Message: ce.Message, MessageID: ce.MessageID}})
		}
		fmt.Fprintf(c.stdio.Err, "p2pctl: %s\n", ce.Message)
		if h := c.hint(ce); h != "" {
			fmt.Fprintf(c.stdio.Err, "p2pctl: %s\n", h)
		}
	case code == api.ExitInterrupted:
		fmt.Fprintln(c.stdio.Err, "p2pctl: interrupted")
	default:
		fmt.Fprintf(c.stdio.Err, "p2pctl: %v\n", err)
	}
	return code
}

// hint is the table's hint with @USER replaced by the command's user.
func (c *cli) hint(e *client.Error) string {
	h := e.Hint()
	if c.user != "" {
		h = strings.ReplaceAll(h, "@USER", "@"+c.user)
	}
	return h
}
