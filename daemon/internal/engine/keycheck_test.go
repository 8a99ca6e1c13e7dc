package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/store"
	"github.com/securep2p/securep2p/wire"
)

// contactOf returns n's stored contact peer.
func contactOf(t *testing.T, e *Engine, peer string) store.Contact {
	t.Helper()
	c, ok, _, err := e.peerState(peer)
	if err != nil || !ok {
		t.Fatalf("contact %s: %v (found %v)", peer, err, ok)
	}
	return c
}

// TestForgedKeyChangedKeepsSession: the relay answers one of alice's Sends
// with Error{CodeKeyChanged} although bob's key did not change. Alice must
// keep her working session (bob keeps his: a new one would only be
// decrypt-only at bob and nothing bob sends would decrypt at alice):
// messages keep flowing both ways, none undecryptable, no key change.
func TestForgedKeyChangedKeepsSession(t *testing.T) {
	alice, bob := newHandNode(t, "alice"), newHandNode(t, "bob")
	runScript(alice, bob, "a+ b+")
	settle(alice, bob)
	id := alice.queue(bob, "the relay refuses this one with key_changed")
	before, _ := alice.e.loadMessage(id)
	if err := alice.e.prepare(context.Background(), nil, &before); err != nil || before.Envelope == nil {
		t.Fatalf("prepare: %v", err) // the envelope goes out; the relay answers key_changed
	}
	alice.e.Frame(nil, &wire.Frame{Error: &wire.Error{ID: id[:], Code: wire.CodeKeyChanged}})
	if after, _ := alice.e.loadMessage(id); string(after.Envelope) != string(before.Envelope) {
		t.Error("the envelope was dropped on the relay's word alone")
	}
	if _, _, s, _ := alice.e.peerState("bob"); s == nil || s.AwaitingReply() {
		t.Error("alice's working session with bob was dropped on the relay's word alone")
	}
	for range 5 {
		runScript(alice, bob, "b+ a+")
		settle(alice, bob)
	}
	checkAllDelivered(t, alice, bob)
	checkAllDelivered(t, bob, alice)
	checkConverged(t, alice, bob)
	if c := contactOf(t, alice.e, "bob"); len(c.KeyHistory) != 0 || c.KeyChanged {
		t.Fatalf("a key change was recorded: %+v", c.KeyHistory)
	}
}

// TestForgedKeyChangedRelayRechecks: the check a key_changed answer
// triggers, against a real relay: alice fetches bob's bundle, finds the
// key unchanged, keeps her session, paces the resend, and the conversation
// goes on both ways.
func TestForgedKeyChangedRelayRechecks(t *testing.T) {
	alice, bob := conversing(t)
	alice.waitFor("alice's outbox empty", func() bool {
		var n int
		_ = alice.db.View(func(tx *store.Tx) error { n = len(tx.Outbox(outboxBatch)); return nil })
		return n == 0
	})
	c := alice.e.authConn()
	m := store.Message{ID: store.NewID(), Peer: "bob", Dir: store.Out, Kind: store.KindText, Status: store.Queued}
	alice.e.mu.Lock()
	alice.e.keyCheck["bob"] = true // what disputeKey records, without waking the outbox
	alice.e.mu.Unlock()
	if err := alice.e.recheckKey(context.Background(), c, &m); !errors.Is(err, errNotNow) {
		t.Fatalf("recheck: %v, want errNotNow (resent later)", err)
	}
	if alice.e.keyDisputed("bob") || !alice.e.keyPaced("bob") {
		t.Fatal("the dispute is still open, or the resend is not paced by RetryEvery")
	}
	if _, _, s, _ := alice.e.peerState("bob"); s == nil || s.AwaitingReply() {
		t.Fatal("alice's working session with bob was replaced")
	}
	if ct := contactOf(t, alice.e, "bob"); len(ct.KeyHistory) != 0 || ct.KeyChanged {
		t.Fatalf("a key change was recorded: %+v", ct.KeyHistory)
	}
	alice.send("bob", "after the check", api.StatusDelivered)
	bob.send("alice", "after the check too", api.StatusDelivered)
	if a, b := alice.e.Undecryptable(), bob.e.Undecryptable(); a+b != 0 {
		t.Fatalf("undecryptable: alice %d, bob %d", a, b)
	}
}

// TestRealKeyChangeStillResets: bob reinstalls (new identity key); alice's
// session still names the old key, so the relay refuses her Send with
// key_changed. The bundle check finds the new key: a key change (history,
// event, the old session dropped) that holds the message to verified bob.
func TestRealKeyChangeStillResets(t *testing.T) {
	r := startRelay(t)
	alice, bob := startNode(t, r.addr, ""), startNode(t, r.addr, "")
	alice.register("alice")
	bob.register("bob")
	alice.send("bob", "before", api.StatusDelivered)
	sn, err := alice.e.SafetyNumber(context.Background(), api.SafetyNumberParams{User: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.e.Verify(context.Background(), api.VerifyParams{User: "bob", SafetyNumber: sn.SafetyNumber}); err != nil {
		t.Fatal(err)
	}
	oldKey := contactOf(t, alice.e, "bob").IdentityKey
	sub := alice.e.Subscribe()
	defer sub.Close()
	nb := reinstall(t, r, bob)
	newKey := nb.e.id.Public()

	res, err := alice.e.Send(context.Background(), api.SendParams{To: "bob", Text: "after", Wait: api.StatusSent, TimeoutMS: 30000})
	if err == nil {
		t.Fatalf("send %+v went out to the changed key, want held", res.Message)
	}
	c := contactOf(t, alice.e, "bob")
	if !c.KeyChanged || len(c.KeyHistory) != 1 || c.KeyHistory[0].Seen != "bundle" ||
		string(c.KeyHistory[0].Old) != string(oldKey) || !bytesEqualKey(newKey, c.KeyHistory[0].New) {
		t.Fatalf("contact after the key change: changed %v, history %+v", c.KeyChanged, c.KeyHistory)
	}
	if _, _, s, _ := alice.e.peerState("bob"); s != nil && !s.PeerIdentity().Equal(newKey) {
		t.Fatal("the session with bob's old key was kept")
	}
	st, _ := alice.e.Status(context.Background(), api.StatusParams{})
	if st.Outbox.Held != 1 {
		t.Fatalf("outbox %+v, want the message held", st.Outbox)
	}
	sawKeyChange := false
	for len(sub.C) > 0 {
		if ev := <-sub.C; ev.Type == api.EventKeyChange && ev.KeyChange.User == "bob" {
			sawKeyChange = true
		}
	}
	if !sawKeyChange {
		t.Fatal("no key_change event")
	}
	if alice.e.keyDisputed("bob") {
		t.Fatal("the dispute was not settled")
	}
}

// TestVerifyRacingKeyChange: Verify checked the safety number, then, before
// its commit, a prekey message from bob's new key arrives (a key change
// that holds a message to verified bob). Verify must fail: the new key was
// never compared, so it is not marked verified and nothing is released.
func TestVerifyRacingKeyChange(t *testing.T) {
	alice, id, _ := heldByKeyChange(t)
	sn, err := alice.e.SafetyNumber(context.Background(), api.SafetyNumberParams{User: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	verifyChecked = func() { alice.receive(0) } // the key change lands between check and commit
	defer func() { verifyChecked = nil }()
	_, err = alice.e.Verify(context.Background(), api.VerifyParams{User: "bob", SafetyNumber: sn.SafetyNumber})
	if ae, ok := err.(*api.Error); !ok || ae.Code != api.CodeSafetyNumberMismatch {
		t.Fatalf("verify: %v, want safety_number_mismatch", err)
	}
	c := contactOf(t, alice.e, "bob")
	if !c.KeyChanged || len(c.KeyHistory) != 1 {
		t.Fatalf("the key change was accepted: changed %v, history %d", c.KeyChanged, len(c.KeyHistory))
	}
	if string(c.IdentityKey) == string(c.KeyHistory[0].Old) {
		t.Fatal("the contact still has the old key")
	}
	if m, _ := alice.e.loadMessage(id); m.Status != store.Held {
		t.Fatalf("message %s, want still held", m.Status)
	}
}
