package ctl

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/securep2p/securep2p/daemon/api"
)

type contactsArgs struct{ *cli }

func cmdContacts(ctx context.Context, c *cli, args []string) error {
	if _, err := c.parseArgs("contacts", c.commandFlags("contacts"), args, 0, 0); err != nil {
		return err
	}
	return runContacts(ctx, contactsArgs{c})
}

func runContacts(ctx context.Context, a contactsArgs) error {
	res, err := a.client.Contacts(ctx, api.ContactsParams{})
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(res)
	}
	if len(res.Contacts) == 0 {
		a.printf("no contacts yet: p2pctl send @USER TEXT starts a conversation\n")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdio.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tTRUST\tFINGERPRINT\tUNREAD\tLAST MESSAGE")
	for _, ct := range res.Contacts {
		trust := string(ct.Trust)
		if ct.KeyChanged {
			trust += ", KEY CHANGED"
			if ct.Held > 0 {
				trust += fmt.Sprintf(" (%d held)", ct.Held)
			}
		}
		fmt.Fprintf(tw, "@%s\t%s\t%s\t%d\t%s\n", ct.Username, trust, ct.Fingerprint, ct.Unread, a.when(ct.LastMessage))
	}
	return tw.Flush()
}
