package ctl

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"

	"github.com/securep2p/securep2p/daemon/api"
)

type watchArgs struct {
	*cli
	since *uint64 // nil: only new events
}

func watchFlags(c *cli) *flag.FlagSet {
	fs := c.commandFlags("watch")
	fs.String("since", "", "replay events after `CURSOR` first (0: every retained event)")
	return fs
}

func cmdWatch(ctx context.Context, c *cli, args []string) error {
	fs := watchFlags(c)
	if _, err := c.parseArgs("watch", fs, args, 0, 0); err != nil {
		return err
	}
	a := watchArgs{cli: c}
	if s := fs.Lookup("since").Value.String(); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return usagef("watch: --since must be a cursor (a non-negative number), not %q", s)
		}
		a.since = &n
	}
	return runWatch(ctx, a)
}

// runWatch prints events until ctx ends (exit 0) or the daemon ends the
// stream. After an overflow (the terminal fell behind) it resumes from the
// last cursor printed, so nothing is skipped silently.
func runWatch(ctx context.Context, a watchArgs) error {
	since := a.since
	for {
		last, err := a.watchOnce(ctx, since)
		if ctx.Err() != nil {
			return nil
		}
		if !errors.Is(err, errResume) {
			return err
		}
		since = &last
	}
}

var errResume = errors.New("resume after overflow")

func (a *watchArgs) watchOnce(ctx context.Context, since *uint64) (uint64, error) {
	w, err := a.client.Events(ctx, api.EventsParams{Since: since})
	if err != nil {
		return 0, err
	}
	defer w.Close()
	for {
		ev, err := w.Next()
		if err == io.EOF {
			return w.Cursor(), apiErr(api.CodeShuttingDown, "p2pd ended the event stream (resume with p2pctl watch --since %d)", w.Cursor())
		}
		if err != nil {
			return w.Cursor(), err
		}
		if err := a.printEvent(ev); err != nil {
			return w.Cursor(), err
		}
		if ev.Type == api.EventOverflow && ev.Overflow.Reason == api.OverflowSlowConsumer {
			return w.Cursor(), errResume
		}
	}
}

func (c *cli) printEvent(ev api.Event) error {
	if c.json {
		return c.printJSON(ev)
	}
	_, err := fmt.Fprintf(c.stdio.Out, "%s\n", c.eventLine(ev))
	return err
}

// eventLine is one event for humans.
func (c *cli) eventLine(ev api.Event) string {
	head := "[" + c.when(ev.Time) + "] "
	switch {
	case ev.Type == api.EventMessage:
		return c.messageLine(*ev.Message)
	case ev.Type == api.EventStatus:
		return head + statusLine(*ev.Message)
	case ev.Type == api.EventKeyChange:
		return head + keyChangeLine(*ev.KeyChange)
	case ev.Type == api.EventContact:
		return head + fmt.Sprintf("contact @%s: %s", ev.Contact.Username, ev.Contact.Trust)
	case ev.Type == api.EventConnection:
		return head + "relay: " + string(ev.Connection.State) + errorSuffix(ev.Connection.Error)
	case ev.Type == api.EventAccount && ev.Account.LoggedIn:
		return head + "logged in as @" + ev.Account.Username
	case ev.Type == api.EventAccount:
		return head + "logged out @" + ev.Account.Username
	case ev.Type == api.EventOverflow:
		return head + fmt.Sprintf("! events were lost (%s; oldest retained cursor %d)", ev.Overflow.Reason, ev.Overflow.Oldest)
	}
	return head + fmt.Sprintf("event %s (cursor %d)", safe(string(ev.Type), ""), ev.Cursor)
}

func statusLine(m api.Message) string {
	dir := "to"
	if m.Direction == api.DirectionIn {
		dir = "from"
	}
	return fmt.Sprintf("message %s %s @%s: %s%s", m.ID, dir, m.Peer, m.Status, errorSuffix(m.Failure))
}

func keyChangeLine(k api.KeyChange) string {
	s := fmt.Sprintf("! @%s's identity key changed (%s -> %s)", k.User, k.OldFingerprint, k.NewFingerprint)
	if k.Held > 0 {
		s += fmt.Sprintf("; %d message(s) held", k.Held)
	}
	return s + fmt.Sprintf(": compare safety numbers with p2pctl verify @%s, then p2pctl trust @%s", k.User, k.User)
}

func errorSuffix(e *api.Error) string {
	if e == nil {
		return ""
	}
	return " (" + safe(e.Message, "") + ")"
}
