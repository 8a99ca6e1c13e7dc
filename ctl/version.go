package ctl

import (
	"context"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/client"
)

type versionArgs struct{ *cli }

// versionResult is what version --json prints.
type versionResult struct {
	P2pctl string `json:"p2pctl"`
	API    string `json:"api"`
	P2pd   string `json:"p2pd,omitempty"` // empty when p2pd is not reachable
}

func cmdVersion(ctx context.Context, c *cli, args []string) error {
	if _, err := c.parseArgs("version", c.commandFlags("version"), args, 0, 0); err != nil {
		return err
	}
	return runVersion(ctx, versionArgs{c})
}

// runVersion always succeeds when p2pd is down: the CLI's version is still
// worth printing.
func runVersion(ctx context.Context, a versionArgs) error {
	v := versionResult{P2pctl: Version, API: api.Version}
	st, err := a.client.Status(ctx, api.StatusParams{})
	if err == nil {
		v.P2pd = st.DaemonVersion
	}
	if a.json {
		return a.printJSON(v)
	}
	a.printf("p2pctl %s (API %s)\n", v.P2pctl, v.API)
	switch {
	case err == nil:
		a.printf("p2pd   %s (API %s)\n", st.DaemonVersion, st.APIVersion)
	case client.IsUnreachable(err):
		a.printf("p2pd   not reachable: %v\n", err)
	default:
		a.printf("p2pd   error: %v\n", err)
	}
	return nil
}
