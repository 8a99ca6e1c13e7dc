package ctl

import (
	"context"
	"flag"

	"github.com/securep2p/securep2p/daemon/api"
)

type loginArgs struct {
	*cli
	user          string
	passwordStdin bool
}

func loginFlags(c *cli) *flag.FlagSet {
	fs := c.commandFlags("login")
	fs.Bool("password-stdin", false, "read the password from the first line of stdin instead of prompting")
	return fs
}

func cmdLogin(ctx context.Context, c *cli, args []string) error {
	fs := loginFlags(c)
	pos, err := c.parseArgs("login", fs, args, 1, 1)
	if err != nil {
		return err
	}
	a := loginArgs{cli: c, passwordStdin: fs.Lookup("password-stdin").Value.String() == "true"}
	if a.user, err = c.userArg("login", pos[0]); err != nil {
		return err
	}
	return runLogin(ctx, a)
}

func runLogin(ctx context.Context, a loginArgs) error {
	pw, err := a.password(ctx, a.passwordStdin, false)
	if err != nil {
		return err
	}
	res, err := a.client.Login(ctx, api.LoginParams{Username: a.user, Password: pw})
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(res)
	}
	a.printf("logged in as @%s\n", res.Username)
	if res.KeyChanged {
		a.warnf("warning: this account had another identity key; this daemon's key replaced it, and your contacts will see a key change")
	}
	return nil
}
