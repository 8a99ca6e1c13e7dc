package ctl

import (
	"context"
	"flag"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/client"
)

type sendArgs struct {
	*cli
	to      string
	text    string // "-" means stdin
	wait    api.Status
	timeout time.Duration
}

func sendFlags(c *cli) *flag.FlagSet {
	fs := c.commandFlags("send")
	fs.String("wait", "", "wait until the message reaches `STATUS`: sent, delivered or read")
	fs.Duration("timeout", 0, "how long --wait waits (default 30s, at most 10m)")
	return fs
}

func cmdSend(ctx context.Context, c *cli, args []string) error {
	fs := sendFlags(c)
	pos, err := c.parseArgs("send", fs, args, 2, -1)
	if err != nil {
		return err
	}
	a := sendArgs{cli: c, text: strings.Join(pos[1:], " "), wait: api.Status(fs.Lookup("wait").Value.String())}
	a.timeout = fs.Lookup("timeout").Value.(flag.Getter).Get().(time.Duration)
	if a.to, err = c.userArg("send", pos[0]); err != nil {
		return err
	}
	if err := a.check(); err != nil {
		return err
	}
	return runSend(ctx, a)
}

func (a *sendArgs) check() error {
	switch a.wait {
	case "", api.StatusSent, api.StatusDelivered, api.StatusRead:
	default:
		return usagef("send: --wait must be sent, delivered or read, not %q", a.wait)
	}
	if a.timeout != 0 && a.wait == "" {
		return usagef("send: --timeout needs --wait")
	}
	if a.timeout < 0 || a.timeout > api.MaxWaitMS*time.Millisecond {
		return usagef("send: --timeout must be between 0 and %v", api.MaxWaitMS*time.Millisecond)
	}
	return nil
}

// readText returns the message text, from stdin for "-" (one trailing
// newline removed), checked against the API's limits.
func (a *sendArgs) readText() (string, error) {
	text := a.text
	if text == "-" {
		b, err := io.ReadAll(io.LimitReader(a.stdio.In, api.MaxTextBytes+2))
		if err != nil {
			return "", err
		}
		text = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	}
	switch {
	case strings.TrimSpace(text) == "":
		return "", apiErr(api.CodeEmptyMessage, "the message is empty")
	case len(text) > api.MaxTextBytes:
		return "", apiErr(api.CodeMessageTooLarge, "the message is longer than %d bytes", api.MaxTextBytes)
	case !utf8.ValidString(text):
		return "", apiErr(api.CodeBadRequest, "the message is not valid UTF-8 text")
	}
	return text, nil
}

func runSend(ctx context.Context, a sendArgs) error {
	text, err := a.readText()
	if err != nil {
		return err
	}
	p := api.SendParams{To: a.to, Text: text, Wait: a.wait, TimeoutMS: a.timeout.Milliseconds()}
	res, err := a.client.Send(ctx, p)
	if err != nil {
		if id := client.MessageIDOf(err); id != "" && !a.json {
			a.printf("%s\n", id)
		}
		return err
	}
	if a.json {
		a.printJSON(res)
	} else {
		a.printf("%s\n", res.Message.ID)
	}
	return a.outcome(res)
}

// outcome turns a stored-but-not-sent message into its exit code: held
// (key change, 8) or no relay link (6). A warning is printed, not an error.
func (a *sendArgs) outcome(res api.SendResult) error {
	m := res.Message
	if m.Warning == api.CodeKeyChanged {
		a.warnf("warning: @%s's identity key changed and is not verified; the message was sent to the new key (p2pctl verify @%s)", m.Peer, m.Peer)
	}
	if m.Status == api.StatusHeld {
		return &client.Error{Code: api.CodeKeyChanged, MessageID: m.ID,
			Message: "the message is held: @" + m.Peer + "'s identity key changed"}
	}
	if m.Status == api.StatusQueued && a.wait == "" && relayDown(res.Relay) {
		return &client.Error{Code: api.CodeRelayUnreachable, MessageID: m.ID,
			Message: "the relay is unreachable (" + string(res.Relay) + "): the message is queued and will be sent later; do not resend it"}
	}
	return nil
}

func relayDown(s api.LinkState) bool {
	return s != api.LinkConnected && s != ""
}
