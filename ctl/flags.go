package ctl

import (
	"errors"
	"flag"
	"io"
	"strings"
)

func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// commandFlags is the flag set of a subcommand: every command takes --json
// too, so it may follow the command name.
func (c *cli) commandFlags(name string) *flag.FlagSet {
	fs := newFlagSet(name)
	fs.BoolVar(&c.json, "json", c.json, "print the API's JSON structures")
	return fs
}

// parseArgs parses flags anywhere among the positional arguments (so
// `send @bob hi --wait sent` works); after "--" everything is positional.
// It checks that exactly want positional arguments remain (min..max when
// max > want; max < 0 means unlimited).
func (c *cli) parseArgs(cmd string, fs *flag.FlagSet, args []string, min, max int) ([]string, error) {
	var pos []string
	for {
		before := args
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				printCommandHelp(c.stdio.Out, lookup(cmd), c)
				return nil, helpShown
			}
			return nil, usagef("%s: %v (see p2pctl help %s)", cmd, err, cmd)
		}
		args = fs.Args()
		if consumed := len(before) - len(args); consumed > 0 && before[consumed-1] == "--" {
			pos = append(pos, args...)
			break
		}
		if len(args) == 0 {
			break
		}
		pos, args = append(pos, args[0]), args[1:]
	}
	if len(pos) < min || (max >= 0 && len(pos) > max) {
		return nil, usagef("%s: wrong number of arguments: usage: p2pctl %s %s", cmd, cmd, lookup(cmd).args)
	}
	return pos, nil
}

// userArg turns "@alice" or "alice" into "alice" and remembers it for hints.
func (c *cli) userArg(cmd, s string) (string, error) {
	u := strings.TrimPrefix(s, "@")
	if u == "" {
		return "", usagef("%s: empty username", cmd)
	}
	c.user = u
	return u, nil
}
