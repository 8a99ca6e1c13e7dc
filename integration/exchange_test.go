package integration

import (
	"slices"
	"testing"
	"time"

	"github.com/securep2p/securep2p/daemon/api"
)

// sendWait sends text from d to @peer with p2pctl, waiting for status, and
// returns the message as --json printed it.
func (d *daemonNode) sendWait(t *testing.T, peer, text string, status api.Status) api.Message {
	t.Helper()
	res := ctlJSON[api.SendResult](t, d, "", "send", "@"+peer, text, "--wait", string(status), "--timeout", "60s")
	m := res.Message
	if m.Peer != peer || m.Text != text || m.Direction != api.DirectionOut || statusRank[m.Status] < statusRank[status] {
		t.Fatalf("%s: send to %s = %+v, want text %q status %s", d.name, peer, m, text, status)
	}
	return m
}

// exchange runs scenario 1 on a registered pair: messages both ways reach
// delivered, both histories match, both sides see the same safety number.
func exchange(t *testing.T, p *pair, rounds int) {
	t.Helper()
	var sent []api.Message
	for i := range rounds {
		sent = append(sent, p.alice.sendWait(t, "bob", "hi bob "+itoa(i), api.StatusDelivered))
		sent = append(sent, p.bob.sendWait(t, "alice", "hello alice "+itoa(i)+" ✓", api.StatusDelivered))
	}
	a := ctlJSON[api.HistoryResult](t, p.alice, "", "history", "@bob", "--limit", "500")
	b := ctlJSON[api.HistoryResult](t, p.bob, "", "history", "@alice", "--limit", "500")
	checkMirrored(t, sent, a.Messages, b.Messages)
	sa := ctlJSON[api.SafetyNumberResult](t, p.alice, "", "verify", "@bob")
	sb := ctlJSON[api.SafetyNumberResult](t, p.bob, "", "verify", "@alice")
	if sa.SafetyNumber == "" || sa.SafetyNumber != sb.SafetyNumber {
		t.Fatalf("safety numbers differ: alice sees %q, bob sees %q", sa.SafetyNumber, sb.SafetyNumber)
	}
	if sa.OwnFingerprint != sb.TheirFingerprint || sa.TheirFingerprint != sb.OwnFingerprint {
		t.Fatalf("fingerprints do not cross-match: alice %+v, bob %+v", sa, sb)
	}
}

// checkMirrored checks that alice's and bob's histories hold exactly the
// sent messages, in the same order, each with the other direction.
func checkMirrored(t *testing.T, sent, a, b []api.Message) {
	t.Helper()
	if len(a) != len(sent) || len(b) != len(sent) {
		t.Fatalf("history lengths: alice %d, bob %d, want %d", len(a), len(b), len(sent))
	}
	for i, s := range sent {
		ma, mb := a[i], b[i]
		if ma.ID != s.ID || mb.ID != s.ID || ma.Text != s.Text || mb.Text != s.Text {
			t.Fatalf("message %d: sent %q (%s), alice shows %q (%s), bob shows %q (%s)",
				i, s.Text, s.ID, ma.Text, ma.ID, mb.Text, mb.ID)
		}
		if ma.Direction == mb.Direction {
			t.Fatalf("message %d has direction %s on both sides", i, ma.Direction)
		}
		out := ma
		if mb.Direction == api.DirectionOut {
			out = mb
		}
		if statusRank[out.Status] < statusRank[api.StatusDelivered] {
			t.Fatalf("message %d is %s at its sender, want delivered", i, out.Status)
		}
	}
}

// TestAliceBobExchange is scenario 1: register, log out and in again,
// exchange messages both ways until delivered; histories and safety
// numbers match on both sides.
func TestAliceBobExchange(t *testing.T) {
	p := startPair(t, nil)
	p.alice.ctlOK(t, "", "logout")
	if st := ctlJSON[api.StatusResult](t, p.alice, "", "status"); st.LoggedIn {
		t.Fatalf("alice still logged in after logout: %+v", st)
	}
	p.alice.login(t, "alice")
	p.alice.waitLink(t, time.Minute, api.LinkConnected)
	exchange(t, p, 3)
	st := ctlJSON[api.StatusResult](t, p.alice, "", "status")
	if !st.LoggedIn || st.Username != "alice" || st.Relay.State != api.LinkConnected || st.Outbox.Queued != 0 {
		t.Fatalf("alice status after the exchange: %+v", st)
	}
	contacts := ctlJSON[api.ContactsResult](t, p.bob, "", "contacts")
	if !slices.ContainsFunc(contacts.Contacts, func(c api.Contact) bool { return c.Username == "alice" }) {
		t.Fatalf("bob's contacts lack alice: %+v", contacts)
	}
}
