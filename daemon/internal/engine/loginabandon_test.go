package engine

import (
	"context"
	"slices"
	"testing"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/store"
	"github.com/securep2p/securep2p/wire"
)

// TestLoginGivenUpLosesNoMail: a Login whose caller gave up after the
// frame was written leaves the engine without a username while the relay
// may already push the mailbox. Such an envelope is not the sender's fault:
// it is neither acknowledged nor marked seen, and once logged in the
// redelivered envelope is stored.
func TestLoginGivenUpLosesNoMail(t *testing.T) {
	alice, bob := newHandNode(t, "alice"), newHandNode(t, "bob")
	alice.queue(bob, "while you were logging in")
	alice.transmit(bob)
	bob.e.mu.Lock()
	bob.e.acct = store.Account{} // a fresh state dir; the Login's caller gave up
	bob.e.mu.Unlock()
	d := &wire.Deliver{ID: bob.box[0].id[:], From: "alice", Body: bob.box[0].env}
	if bob.e.handleDeliver(d) {
		t.Fatal("an envelope arriving with no own username was acknowledged: the relay deletes it")
	}
	var seen bool
	_ = bob.e.db.View(func(tx *store.Tx) error { seen = tx.Seen(bob.box[0].id); return nil })
	if seen {
		t.Fatal("the envelope was marked seen: its redelivery would be dropped")
	}
	bob.e.mu.Lock()
	bob.e.acct = store.Account{Username: "bob", LoggedIn: true} // logged in for real
	bob.e.mu.Unlock()
	bob.receive(0) // the redelivery
	if in := incoming(t, alice, bob); len(in) != 1 || in[0].Text != "while you were logging in" {
		t.Fatalf("bob's history %+v, want the message once", in)
	}
}

// TestLoginAgainAfterGivingUp: Logins whose caller gave up (a cancelled
// ctx still writes the frame about every other time) must not leave the
// relay session logged in behind the daemon's back: a later Login on the
// same daemon succeeds (not already_logged_in) and the mail that waited
// at the relay arrives.
func TestLoginAgainAfterGivingUp(t *testing.T) {
	r := startRelay(t)
	alice, bob := startNode(t, r.addr, ""), startNode(t, r.addr, "")
	alice.register("alice")
	bob.register("bob")
	alice.send("bob", "first", api.StatusDelivered)
	bob.stop()
	alice.send("bob", "while away", api.StatusSent) // waits in bob's mailbox
	bob = startNode(t, r.addr, withoutAccount(t, bob.path))
	bob.waitState(api.LinkLoggedOut)

	gaveUp, cancel := context.WithCancel(context.Background())
	cancel()
	login := api.LoginParams{Username: "bob", Password: "password-bob"}
	for i := range 20 { // P(no frame written) = 2^-20
		c := bob.e.link.Current()
		if _, err := bob.e.Login(gaveUp, login); err == nil {
			t.Fatalf("login %d with a cancelled ctx succeeded", i)
		}
		if c != nil && c.Err() != nil {
			break // a frame was written and the daemon ended the connection
		}
	}
	if _, err := bob.e.Login(context.Background(), login); err != nil {
		t.Fatalf("login after the abandoned ones: %v", err)
	}
	bob.waitFor("the mail that waited at the relay", func() bool {
		return slices.ContainsFunc(bob.history("alice"), func(m api.Message) bool { return m.Text == "while away" })
	})
}

// withoutAccount forgets the account in the state at path (keys and
// sessions stay): the daemon starts logged out, with no username, as on a
// fresh state dir, yet can still decrypt what was sent to its key.
func withoutAccount(t *testing.T, path string) string {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *store.Tx) error { return tx.PutAccount(store.Account{}) }); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLogoutGivenUpKeepsSession: a Logout whose caller gave up may still
// log the relay session out. The daemon, still logged in by its own
// record, must not keep a connection on which nothing is delivered: mail
// sent to it afterwards is delivered.
func TestLogoutGivenUpKeepsSession(t *testing.T) {
	r := startRelay(t)
	alice, bob := startNode(t, r.addr, ""), startNode(t, r.addr, "")
	alice.register("alice")
	bob.register("bob")
	alice.send("bob", "first", api.StatusDelivered)
	gaveUp, cancel := context.WithCancel(context.Background())
	cancel()
	for i := range 20 { // P(no frame written) = 2^-20
		c := bob.e.authConn()
		if _, err := bob.e.Logout(gaveUp); err == nil {
			t.Fatalf("logout %d with a cancelled ctx succeeded", i)
		}
		if c.Err() != nil {
			break // a frame was written and the daemon ended the connection
		}
	}
	alice.send("bob", "after the abandoned logouts", api.StatusDelivered)
}
