package ctl

import (
	"context"
	"flag"

	"github.com/securep2p/securep2p/daemon/api"
)

type registerArgs struct {
	*cli
	user          string
	passwordStdin bool
}

func registerFlags(c *cli) *flag.FlagSet {
	fs := c.commandFlags("register")
	fs.Bool("password-stdin", false, "read the password from the first line of stdin instead of prompting")
	return fs
}

func cmdRegister(ctx context.Context, c *cli, args []string) error {
	fs := registerFlags(c)
	pos, err := c.parseArgs("register", fs, args, 1, 1)
	if err != nil {
		return err
	}
	a := registerArgs{cli: c, passwordStdin: fs.Lookup("password-stdin").Value.String() == "true"}
	if a.user, err = c.userArg("register", pos[0]); err != nil {
		return err
	}
	return runRegister(ctx, a)
}

func runRegister(ctx context.Context, a registerArgs) error {
	pw, err := a.password(ctx, a.passwordStdin, true)
	if err != nil {
		return err
	}
	res, err := a.client.Register(ctx, api.RegisterParams{Username: a.user, Password: pw})
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(res)
	}
	a.printf("registered and logged in as @%s\nyour identity fingerprint: %s\n", res.Username, res.Fingerprint)
	return nil
}
