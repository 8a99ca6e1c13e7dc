package ctl

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/securep2p/securep2p/daemon/api"
)

type inspectArgs struct {
	*cli
	id string
}

func cmdInspect(ctx context.Context, c *cli, args []string) error {
	pos, err := c.parseArgs("inspect", c.commandFlags("inspect"), args, 1, 1)
	if err != nil {
		return err
	}
	return runInspect(ctx, inspectArgs{cli: c, id: pos[0]})
}

func runInspect(ctx context.Context, a inspectArgs) error {
	r, err := a.client.Inspect(ctx, api.InspectParams{ID: a.id})
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(r)
	}
	tw := tabwriter.NewWriter(a.stdio.Out, 0, 4, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(tw, "%s:\t%v\n", k, v) }
	row("message", r.ID)
	row("direction", fmt.Sprintf("%s (@%s)", r.Direction, r.Peer))
	row("cipher", r.Cipher)
	row("sender identity", r.SenderFingerprint)
	row("recipient identity", r.RecipientFingerprint)
	row("ratchet key", r.RatchetKey)
	row("counter", fmt.Sprintf("%d (previous chain: %d)", r.Counter, r.PreviousCounter))
	if r.Initial {
		row("ephemeral key", r.EphemeralKey)
		row("signed prekey", fmt.Sprintf("id %d", r.SignedPrekeyID))
		row("one-time prekey", prekeyID(r.OneTimePrekeyID))
	}
	row("associated data", orDash(r.AssociatedData))
	row("ciphertext", r.Ciphertext)
	row("mac", r.MAC)
	row("envelope", fmt.Sprintf("%d bytes", r.EnvelopeBytes))
	return tw.Flush()
}

// prekeyID renders a one-time prekey ID; 0 means none was used.
func prekeyID(id uint32) string {
	if id == 0 {
		return "-"
	}
	return fmt.Sprintf("id %d", id)
}
