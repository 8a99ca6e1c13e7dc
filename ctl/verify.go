package ctl

import (
	"context"
	"flag"

	"github.com/securep2p/securep2p/daemon/api"
)

// verifyArgs: without --mark, verify only shows the safety number. With
// --mark it shows it and records that the user compared it and it matched;
// the number shown is sent along, so a key change in between is refused
// (safety_number_mismatch) instead of verifying a key the user never saw.
type verifyArgs struct {
	*cli
	user string
	mark bool
}

func verifyFlags(c *cli) *flag.FlagSet {
	fs := c.commandFlags("verify")
	fs.Bool("mark", false, "record that the number matched (only after comparing it with the contact)")
	return fs
}

func cmdVerify(ctx context.Context, c *cli, args []string) error {
	fs := verifyFlags(c)
	pos, err := c.parseArgs("verify", fs, args, 1, 1)
	if err != nil {
		return err
	}
	a := verifyArgs{cli: c, mark: fs.Lookup("mark").Value.String() == "true"}
	if a.user, err = c.userArg("verify", pos[0]); err != nil {
		return err
	}
	return runVerify(ctx, a)
}

func runVerify(ctx context.Context, a verifyArgs) error {
	sn, err := a.client.SafetyNumber(ctx, api.SafetyNumberParams{User: a.user})
	if err != nil {
		return err
	}
	if a.json {
		a.printJSON(sn)
	} else {
		a.printSafetyNumber(sn)
	}
	if !a.mark {
		return nil
	}
	res, err := a.client.Verify(ctx, api.VerifyParams{User: a.user, SafetyNumber: sn.SafetyNumber})
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(res)
	}
	a.printf("@%s is now verified: you will be warned, and messages held, if their key changes\n", res.Contact.Username)
	return nil
}

func (a *verifyArgs) printSafetyNumber(sn api.SafetyNumberResult) {
	a.printf("safety number with @%s:\n\n    %s\n\n", sn.User, sn.SafetyNumber)
	a.printf("your key:    %s\ntheir key:   %s\n", sn.OwnFingerprint, sn.TheirFingerprint)
	state := string(sn.Trust)
	if sn.KeyChanged {
		state += " (key changed, not yet trusted)"
	}
	a.printf("status:      %s\n", state)
	if !a.mark {
		a.printf("\nCompare this number with @%s in person or by phone. If it matches, run:\n    p2pctl verify --mark @%s\n", sn.User, sn.User)
	}
}
