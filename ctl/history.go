package ctl

import (
	"context"
	"flag"
	"strconv"

	"github.com/securep2p/securep2p/daemon/api"
)

type historyArgs struct {
	*cli
	user   string
	limit  int
	before uint64
}

func historyFlags(c *cli) *flag.FlagSet {
	fs := c.commandFlags("history")
	fs.Int("limit", 0, "show at most `N` messages (default 50, at most 500)")
	fs.Uint64("before", 0, "show messages older than local sequence number `SEQ` (page backwards)")
	return fs
}

func cmdHistory(ctx context.Context, c *cli, args []string) error {
	fs := historyFlags(c)
	pos, err := c.parseArgs("history", fs, args, 1, 1)
	if err != nil {
		return err
	}
	a := historyArgs{cli: c}
	a.limit, _ = strconv.Atoi(fs.Lookup("limit").Value.String())
	a.before, _ = strconv.ParseUint(fs.Lookup("before").Value.String(), 10, 64)
	if a.limit < 0 || a.limit > api.MaxHistoryLimit {
		return usagef("history: --limit must be between 1 and %d", api.MaxHistoryLimit)
	}
	if a.user, err = c.userArg("history", pos[0]); err != nil {
		return err
	}
	return runHistory(ctx, a)
}

func runHistory(ctx context.Context, a historyArgs) error {
	res, err := a.client.History(ctx, api.HistoryParams{User: a.user, Limit: a.limit, Before: a.before})
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(res)
	}
	if len(res.Messages) == 0 {
		a.printf("no messages with @%s\n", res.User)
		return nil
	}
	if res.More {
		a.printf("(older messages: p2pctl history @%s --before %d)\n", res.User, res.Messages[0].Seq)
	}
	for _, m := range res.Messages {
		a.printf("%s\n", a.messageLine(m))
	}
	return nil
}

// messageLine is one message for humans:
// "[2026-11-25 14:03:00] you -> @alice: hi (delivered)" or
// "[2026-11-25 14:03:05] @alice: hello".
func (c *cli) messageLine(m api.Message) string {
	head := "[" + c.when(m.Time) + "] "
	if m.Direction == api.DirectionIn {
		head += "@" + m.Peer + ": "
		return head + safe(m.Text, "    ")
	}
	head += "you -> @" + m.Peer + ": "
	line := head + safe(m.Text, "    ") + " (" + string(m.Status)
	if m.Failure != nil {
		line += ": " + safe(m.Failure.Message, "")
	}
	return line + ")"
}
