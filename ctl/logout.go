package ctl

import (
	"context"

	"github.com/securep2p/securep2p/daemon/api"
)

type logoutArgs struct{ *cli }

func cmdLogout(ctx context.Context, c *cli, args []string) error {
	if _, err := c.parseArgs("logout", c.commandFlags("logout"), args, 0, 0); err != nil {
		return err
	}
	return runLogout(ctx, logoutArgs{c})
}

func runLogout(ctx context.Context, a logoutArgs) error {
	res, err := a.client.Logout(ctx, api.LogoutParams{})
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(res)
	}
	a.printf("logged out @%s (queued messages are kept and go out after the next login)\n", res.Username)
	return nil
}
