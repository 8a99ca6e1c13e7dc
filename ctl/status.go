package ctl

import (
	"context"

	"github.com/securep2p/securep2p/daemon/api"
)

type statusArgs struct{ *cli }

func cmdStatus(ctx context.Context, c *cli, args []string) error {
	if _, err := c.parseArgs("status", c.commandFlags("status"), args, 0, 0); err != nil {
		return err
	}
	return runStatus(ctx, statusArgs{c})
}

func runStatus(ctx context.Context, a statusArgs) error {
	st, err := a.client.Status(ctx, api.StatusParams{})
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(st)
	}
	a.printf("p2pd:        %s (API %s)\n", st.DaemonVersion, st.APIVersion)
	if st.LoggedIn {
		a.printf("account:     @%s\n", st.Username)
	} else {
		a.printf("account:     not logged in (p2pctl login USER, or p2pctl register USER)\n")
	}
	a.printf("identity:    %s\n", orDash(st.Fingerprint))
	r := st.Relay
	a.printf("relay:       %s %s since %s%s\n", orDash(r.Address), r.State, a.when(r.Since), errorSuffix(r.LastError))
	a.printf("relay key:   %s\n", orDash(r.KeyFingerprint))
	if r.Protocol != 0 {
		a.printf("protocol:    %d%s\n", r.Protocol, protocolNote(r.Protocol))
	}
	a.printf("outbox:      %d queued, %d held\n", st.Outbox.Queued, st.Outbox.Held)
	for _, k := range st.KeyChanges {
		a.printf("key change:  %s\n", keyChangeLine(k))
	}
	if st.Undecryptable > 0 {
		a.printf("incoming:    %d message(s) could not be decrypted (failed in history: ask the sender to send again)\n", st.Undecryptable)
	}
	a.printf("cursor:      %d\n", st.Cursor)
	if r.State == api.LinkKeyMismatch {
		a.warnf("the relay's key differs from the pinned one: nothing is sent until this is resolved (check --relay-key with the relay operator)")
	}
	return nil
}

// protocolNote explains a relay protocol older than the daemon's (1: the
// relay predates batched acknowledgements; see wire/PROTOCOL.md).
func protocolNote(v uint64) string {
	if v == 1 {
		return " (an older relay: it works, with one acknowledgement per frame; its operator can upgrade it)"
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
