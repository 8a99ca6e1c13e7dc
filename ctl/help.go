package ctl

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

type helpArgs struct {
	*cli
	topic string
}

func cmdHelp(ctx context.Context, c *cli, args []string) error {
	pos, err := c.parseArgs("help", c.commandFlags("help"), args, 0, 1)
	if err != nil {
		return err
	}
	a := helpArgs{cli: c}
	if len(pos) == 1 {
		a.topic = pos[0]
	}
	return runHelp(ctx, a)
}

func runHelp(_ context.Context, a helpArgs) error {
	if a.topic == "" {
		printHelp(a.stdio.Out)
		return nil
	}
	cmd := lookup(a.topic)
	if cmd == nil {
		return usagef("help: unknown command %q: run p2pctl help", a.topic)
	}
	printCommandHelp(a.stdio.Out, cmd, a.cli)
	return nil
}

func printHelp(w io.Writer) {
	fmt.Fprint(w, "usage: p2pctl [--socket PATH] [--json] COMMAND [ARGS]\n\n")
	fmt.Fprint(w, "p2pctl talks to p2pd, the SecureP2P daemon, over its control socket.\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
global flags (before the command):
  --socket PATH  control socket (default: $XDG_RUNTIME_DIR/securep2p/p2pd.sock,
                 else ~/.local/state/securep2p/p2pd.sock)
  --json         print the API's JSON structures; streams print one object per line
                 (also accepted after the command)

`)
	fmt.Fprint(w, exitCodeHelp)
	fmt.Fprint(w, "\nrun 'p2pctl help COMMAND' for a command's flags.\n")
}

// exitCodeHelp documents the exit codes (the same table as ctl/README.md;
// TestExitCodesDocumented keeps both in line with api.Codes).
const exitCodeHelp = `exit codes:
  0   ok
  1   unexpected error (see the message; the p2pd log may say more)
  2   bad usage or input: unknown command or flag, empty or oversized message,
      invalid username or password form
  3   p2pd not running, unreachable, refusing this user, or stopping
  4   not logged in, or wrong username or password
  5   not found: unknown user, message or contact
  6   relay unreachable: the message IS queued and will be sent later; do not resend
  7   --wait timed out: the message IS queued (its id was printed)
  8   identity key changed and not trusted yet (message held), safety number
      mismatch, or relay key mismatch
  9   conflict: username taken, or already logged in
  10  rate limited or relay busy: retry later
  11  the message failed permanently (reason printed)
  130 interrupted (Ctrl-C)
`

func printCommandHelp(w io.Writer, c *command, cl *cli) {
	fmt.Fprintf(w, "usage: p2pctl %s %s\n\n%s\n", c.name, c.args, c.summary)
	if c.flags == nil {
		return
	}
	fs := c.flags(cl)
	var b strings.Builder
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "json" {
			return
		}
		name, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(&b, "  --%s %s\n        %s\n", f.Name, name, usage)
	})
	if b.Len() > 0 {
		fmt.Fprintf(w, "\nflags:\n%s", b.String())
	}
}
