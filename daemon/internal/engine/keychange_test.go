package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/securep2p/securep2p/daemon/api"
)

// reinstall replaces bob's daemon with a fresh one (new identity key) that
// logs in to the same account: a key change.
func reinstall(t *testing.T, r *testRelay, bob *node) *node {
	t.Helper()
	bob.stop()
	nb := startNode(t, r.addr, "")
	nb.waitState(api.LinkLoggedOut)
	res, err := nb.e.Login(context.Background(), api.LoginParams{Username: "bob", Password: "password-bob"})
	if err != nil || !res.KeyChanged {
		t.Fatalf("login %+v %v, want key_changed", res, err)
	}
	return nb
}

func TestKeyChangeHoldAndTrust(t *testing.T) {
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
	sub := alice.e.Subscribe()
	defer sub.Close()
	nb := reinstall(t, r, bob)

	_, err = alice.e.Send(context.Background(), api.SendParams{To: "bob", Text: "after", Wait: api.StatusSent, TimeoutMS: 30000})
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Code != api.CodeKeyChanged || ae.MessageID == "" {
		t.Fatalf("send err %v, want key_changed with the message id", err)
	}
	if s := alice.status(ae.MessageID); s != api.StatusHeld {
		t.Fatalf("status %s, want held", s)
	}
	st, _ := alice.e.Status(context.Background(), api.StatusParams{})
	if len(st.KeyChanges) != 1 || st.KeyChanges[0].User != "bob" || !st.KeyChanges[0].WasVerified || st.Outbox.Held != 1 {
		t.Fatalf("status %+v", st)
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
	tr, err := alice.e.Trust(context.Background(), api.TrustParams{User: "bob"})
	if err != nil || tr.Released != 1 || tr.Contact.Trust != api.TrustUnverified || tr.Contact.KeyChanged {
		t.Fatalf("trust %+v %v", tr, err)
	}
	alice.waitFor("released message delivered", func() bool { return alice.status(ae.MessageID) == api.StatusDelivered })
	if h := nb.history("alice"); len(h) != 1 || h[0].Text != "after" {
		t.Fatalf("new bob's history %+v", h)
	}
}

func TestKeyChangeUnverifiedWarns(t *testing.T) {
	r := startRelay(t)
	alice, bob := startNode(t, r.addr, ""), startNode(t, r.addr, "")
	alice.register("alice")
	bob.register("bob")
	alice.send("bob", "before", api.StatusDelivered)
	reinstall(t, r, bob)
	res := alice.send("bob", "after", api.StatusDelivered)
	if res.Message.Warning != api.CodeKeyChanged {
		t.Fatalf("message %+v, want warning key_changed", res.Message)
	}
	st, _ := alice.e.Status(context.Background(), api.StatusParams{})
	if len(st.KeyChanges) != 1 || st.KeyChanges[0].WasVerified {
		t.Fatalf("key changes %+v", st.KeyChanges)
	}
}

func TestKeyChangeSeenInIncomingMessage(t *testing.T) {
	r := startRelay(t)
	alice, bob := startNode(t, r.addr, ""), startNode(t, r.addr, "")
	alice.register("alice")
	bob.register("bob")
	alice.send("bob", "before", api.StatusDelivered)
	nb := reinstall(t, r, bob)
	nb.send("alice", "new phone", api.StatusDelivered)
	st, _ := alice.e.Status(context.Background(), api.StatusParams{})
	if len(st.KeyChanges) != 1 || st.KeyChanges[0].User != "bob" {
		t.Fatalf("key changes %+v", st.KeyChanges)
	}
	if h := alice.history("bob"); len(h) != 2 || h[1].Text != "new phone" {
		t.Fatalf("history %+v", h)
	}
}

func TestVerifyWrongSafetyNumber(t *testing.T) {
	r := startRelay(t)
	alice, bob := startNode(t, r.addr, ""), startNode(t, r.addr, "")
	alice.register("alice")
	bob.register("bob")
	alice.send("bob", "hi", api.StatusSent)
	_, err := alice.e.Verify(context.Background(), api.VerifyParams{User: "bob", SafetyNumber: "12345"})
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Code != api.CodeSafetyNumberMismatch {
		t.Fatalf("err %v, want safety_number_mismatch", err)
	}
}
