// Package ctl is the p2pctl command tree: a thin CLI over p2pd's control
// socket.
//
// # What it owns
//
// [Run] (the whole CLI behind a ten-line main), one file per subcommand
// (an args struct, a parser, and runX(ctx, args) error), human output
// (covered by golden files) and --json output (the daemon/api structs
// themselves; streams one object per line), error messages that say what to
// do next, and the exit codes (api.Codes; documented in `p2pctl help` and
// README.md).
//
// # What it promises
//
// It imports only daemon/api and daemon/client (plus the standard library
// and golang.org/x/sys/unix): no QUIC, no relay hop, no cryptography, nothing
// under daemon/internal (TestP2pctlDependencies). Passwords are read from
// stdin or from /dev/tty with echo off and are never printed. Text that came
// from other users is printed with control and bidi-override characters
// escaped, so a message cannot rewrite the terminal.
//
// # What it does not do
//
// It keeps no state and never retries a send: every message is queued by the
// daemon, which owns delivery.
package ctl

import (
	"context"
	"errors"
	"flag"
	"io"
	"time"

	"github.com/securep2p/securep2p/daemon/client"
)

// Version is p2pctl's version (set with -ldflags "-X .../ctl.Version=...").
var Version = "dev"

// Stdio is the process's standard streams.
type Stdio struct {
	In       io.Reader
	Out, Err io.Writer
}

// cli is what every subcommand shares.
type cli struct {
	client *client.Client
	json   bool
	stdio  Stdio
	loc    *time.Location // for human timestamps; time.Local in production
	// askPassword prompts without echo (ttyPassword in production).
	askPassword func(ctx context.Context, prompt string) (string, error)
	user        string // the @USER the command is about, for hints
}

// command is one entry of the command table.
type command struct {
	name    string
	args    string // usage after the name
	summary string
	run     func(ctx context.Context, c *cli, args []string) error
	flags   func(c *cli) *flag.FlagSet // for help; nil when the command has no flags
}

// Run runs p2pctl with args (without the program name) and returns the exit
// code.
func Run(ctx context.Context, args []string, stdio Stdio) int {
	c := &cli{stdio: stdio, loc: time.Local, askPassword: ttyPassword}
	return c.main(ctx, args)
}

func (c *cli) main(ctx context.Context, args []string) int {
	cmd, rest, err := c.parseGlobal(args)
	if err == nil {
		err = cmd.run(ctx, c, rest)
	}
	return c.finish(err)
}

// parseGlobal parses [--socket PATH] [--json] and finds the command.
func (c *cli) parseGlobal(args []string) (*command, []string, error) {
	fs := newFlagSet("p2pctl")
	socket := fs.String("socket", "", "control socket `PATH` (default: $XDG_RUNTIME_DIR/securep2p/p2pd.sock, else ~/.local/state/securep2p/p2pd.sock)")
	fs.BoolVar(&c.json, "json", false, "print the API's JSON structures (streams: one object per line)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return lookup("help"), nil, nil
		}
		return nil, nil, usagef("%v", err)
	}
	c.client = &client.Client{Socket: *socket, UserAgent: "p2pctl/" + Version}
	if fs.NArg() == 0 {
		return nil, nil, usagef("no command given: run p2pctl help")
	}
	cmd := lookup(fs.Arg(0))
	if cmd == nil {
		return nil, nil, usagef("unknown command %q: run p2pctl help", fs.Arg(0))
	}
	return cmd, fs.Args()[1:], nil
}

func lookup(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// commands is the command table, in the order `p2pctl help` lists them.
var commands []command

func init() {
	commands = []command{
		{"register", "USER [--password-stdin]", "create an account on the relay and log in", cmdRegister, registerFlags},
		{"login", "USER [--password-stdin]", "log in to an existing account", cmdLogin, loginFlags},
		{"logout", "", "log out (queued messages are kept)", cmdLogout, nil},
		{"send", "@USER TEXT|- [--wait sent|delivered|read] [--timeout D]", "send a message (- reads it from stdin); prints its id", cmdSend, sendFlags},
		{"history", "@USER [--limit N] [--before SEQ]", "show the conversation with a user", cmdHistory, historyFlags},
		{"watch", "[--since CURSOR]", "print events as they happen", cmdWatch, watchFlags},
		{"chat", "@USER", "interactive conversation (type '@user: text' to switch)", cmdChat, nil},
		{"status", "", "show the daemon, account, relay link and outbox", cmdStatus, nil},
		{"contacts", "", "list contacts and their trust state", cmdContacts, nil},
		{"verify", "@USER [--mark]", "show the safety number; --mark records that it matched", cmdVerify, verifyFlags},
		{"trust", "@USER [--fingerprint FP]", "accept a contact's changed key and release held messages", cmdTrust, trustFlags},
		{"inspect", "MSGID", "show a message's public cryptographic details", cmdInspect, nil},
		{"help", "[COMMAND]", "show this help, or a command's", cmdHelp, nil},
		{"version", "", "show the p2pctl and p2pd versions", cmdVersion, nil},
	}
}
