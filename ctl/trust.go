package ctl

import (
	"context"
	"flag"

	"github.com/securep2p/securep2p/daemon/api"
)

type trustArgs struct {
	*cli
	user        string
	fingerprint string
}

func trustFlags(c *cli) *flag.FlagSet {
	fs := c.commandFlags("trust")
	fs.String("fingerprint", "", "accept the new key only if its fingerprint is `FP` (from p2pctl status or watch)")
	return fs
}

func cmdTrust(ctx context.Context, c *cli, args []string) error {
	fs := trustFlags(c)
	pos, err := c.parseArgs("trust", fs, args, 1, 1)
	if err != nil {
		return err
	}
	a := trustArgs{cli: c, fingerprint: fs.Lookup("fingerprint").Value.String()}
	if a.user, err = c.userArg("trust", pos[0]); err != nil {
		return err
	}
	return runTrust(ctx, a)
}

func runTrust(ctx context.Context, a trustArgs) error {
	res, err := a.client.Trust(ctx, api.TrustParams{User: a.user, Fingerprint: a.fingerprint})
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(res)
	}
	ct := res.Contact
	a.printf("accepted @%s's identity key %s; %d held message(s) queued again\n", ct.Username, ct.Fingerprint, res.Released)
	a.printf("@%s is %s: compare safety numbers with p2pctl verify @%s\n", ct.Username, ct.Trust, ct.Username)
	return nil
}
