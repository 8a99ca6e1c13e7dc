package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/store"
	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

func TestSendDeliveredAndRead(t *testing.T) {
	r := startRelay(t)
	alice, bob := startNode(t, r.addr, ""), startNode(t, r.addr, "")
	alice.register("alice")
	bob.register("bob")
	res := alice.send("@Bob", "hello bob", api.StatusDelivered)
	if res.Message.Status != api.StatusDelivered {
		t.Fatalf("status %s, want delivered", res.Message.Status)
	}
	bob.waitFor("bob's contact alice", func() bool {
		c, err := bob.e.Contacts(context.Background(), api.ContactsParams{})
		return err == nil && len(c.Contacts) == 1
	})
	on := true
	if _, err := bob.e.ContactSettings(context.Background(), api.ContactSettingsParams{User: "alice", ReadReceipts: &on}); err != nil {
		t.Fatal(err)
	}
	h := bob.history("alice")
	if len(h) != 1 || h[0].Text != "hello bob" || h[0].Direction != api.DirectionIn || h[0].Seq != 1 {
		t.Fatalf("bob's history %+v", h)
	}
	alice.waitFor("read receipt", func() bool { return alice.status(res.Message.ID) == api.StatusRead })
	// The reply goes over the established session.
	back := bob.send("alice", "hi alice", api.StatusDelivered)
	if got := alice.history("bob"); len(got) != 2 || got[1].Text != "hi alice" || got[1].ID != back.Message.ID {
		t.Fatalf("alice's history %+v", got)
	}
}

func TestSendUnknownUser(t *testing.T) {
	r := startRelay(t)
	alice := startNode(t, r.addr, "")
	alice.register("alice")
	_, err := alice.e.Send(context.Background(), api.SendParams{To: "nobody", Text: "x"})
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Code != api.CodeUnknownUser {
		t.Fatalf("err %v, want unknown_user", err)
	}
}

func TestSendNotLoggedIn(t *testing.T) {
	r := startRelay(t)
	alice := startNode(t, r.addr, "")
	_, err := alice.e.Send(context.Background(), api.SendParams{To: "bob", Text: "x"})
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Code != api.CodeNotLoggedIn {
		t.Fatalf("err %v, want not_logged_in", err)
	}
}

func TestResumeAfterRestart(t *testing.T) {
	r := startRelay(t)
	alice := startNode(t, r.addr, "")
	alice.register("alice")
	alice.stop()
	again := startNode(t, r.addr, alice.path)
	again.waitState(api.LinkConnected)
	st, _ := again.e.Status(context.Background(), api.StatusParams{})
	if st.Username != "alice" || !st.LoggedIn || st.Relay.KeyFingerprint != r.key.Fingerprint() {
		t.Fatalf("status %+v", st)
	}
}

func TestOutboxSurvivesRestart(t *testing.T) {
	// Restart against an address where no relay listens: the message
	// is queued and survives the next restart.
	r, bob, offline := offlineWithSession(t)
	res := offline.send("bob", "queued while offline", "")
	if res.Message.Status != api.StatusQueued || res.Relay == api.LinkConnected {
		t.Fatalf("offline send %+v", res)
	}
	offline.stop()
	online := startNode(t, r.addr, offline.path)
	online.waitFor("delivered after restart", func() bool { return online.status(res.Message.ID) == api.StatusDelivered })
	if h := bob.history("alice"); len(h) != 2 || h[1].Text != "queued while offline" {
		t.Fatalf("bob's history %+v", h)
	}
}

func TestRetransmitSameEnvelope(t *testing.T) {
	r := startRelay(t)
	alice, bob := startNode(t, r.addr, ""), startNode(t, r.addr, "")
	alice.register("alice")
	bob.register("bob")
	res := alice.send("bob", "once", api.StatusDelivered)
	id, _ := store.ParseID(res.Message.ID)
	before, _ := alice.e.loadMessage(id)
	// Pretend the Accepted was lost: put it back in the outbox. The retry
	// must carry the identical envelope, and bob must not see it twice.
	_ = alice.e.update(func(tx *store.Tx, _ emitFunc) error {
		m, _, _ := tx.Message(id)
		m.Status = store.Queued
		return tx.Enqueue(&m)
	})
	alice.e.wake()
	alice.waitFor("re-accepted", func() bool { return alice.status(res.Message.ID) == api.StatusSent })
	after, _ := alice.e.loadMessage(id)
	if string(after.Envelope) != string(before.Envelope) {
		t.Fatal("retransmission changed the envelope")
	}
	if h := bob.history("alice"); len(h) != 1 {
		t.Fatalf("bob saw %d messages, want 1", len(h))
	}
}

func TestInboundDuplicateDropped(t *testing.T) {
	r := startRelay(t)
	alice, bob := startNode(t, r.addr, ""), startNode(t, r.addr, "")
	alice.register("alice")
	bob.register("bob")
	res := alice.send("bob", "only once", api.StatusDelivered)
	id, _ := store.ParseID(res.Message.ID)
	m, _ := alice.e.loadMessage(id)
	d := &wire.Deliver{ID: id[:], From: "alice", Body: m.Envelope}
	if !bob.e.handleDeliver(d) {
		t.Fatal("a seen id was not acknowledged")
	}
	fresh := store.NewID() // same envelope under a new outer id: a replay
	if !bob.e.handleDeliver(&wire.Deliver{ID: fresh[:], From: "alice", Body: m.Envelope}) {
		t.Fatal("a replayed envelope was not acknowledged (and dropped)")
	}
	if h := bob.history("alice"); len(h) != 1 {
		t.Fatalf("bob has %d messages, want 1", len(h))
	}
}

func TestRelayKeyPinMismatch(t *testing.T) {
	r := startRelay(t)
	k, _ := secp.GeneratePrivateKey()
	n := startNode(t, r.addr, "", func(c *Config) { c.RelayKey = k.Public() })
	n.waitState(api.LinkKeyMismatch)
	st, _ := n.e.Status(context.Background(), api.StatusParams{})
	if st.Relay.LastError == nil || st.Relay.LastError.Code != api.CodeRelayKeyMismatch {
		t.Fatalf("status %+v", st.Relay)
	}
	_, err := n.e.Register(context.Background(), api.RegisterParams{Username: "alice", Password: "password1"})
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Code != api.CodeRelayKeyMismatch {
		t.Fatalf("register err %v, want relay_key_mismatch", err)
	}
}

func TestRelayKeyTrustedOnFirstUse(t *testing.T) {
	r := startRelay(t)
	n := startNode(t, r.addr, "")
	n.waitState(api.LinkLoggedOut)
	if got := n.e.pinnedKey(); !got.Equal(r.key) {
		t.Fatalf("pinned %v, want the relay key", got)
	}
}

// TestStatusReportsProtocol: connected to a relay of this tree, the
// status names the negotiated protocol version (2); not connected, 0.
func TestStatusReportsProtocol(t *testing.T) {
	r := startRelay(t)
	n := startNode(t, r.addr, "")
	n.waitState(api.LinkLoggedOut) // connected, no account yet
	st, _ := n.e.Status(context.Background(), api.StatusParams{})
	if st.Relay.Protocol != wire.ProtocolVersion {
		t.Fatalf("protocol %d while connected, want %d", st.Relay.Protocol, wire.ProtocolVersion)
	}
	k, _ := secp.GeneratePrivateKey()
	off := startNode(t, r.addr, "", func(c *Config) { c.RelayKey = k.Public() })
	off.waitState(api.LinkKeyMismatch)
	if st, _ := off.e.Status(context.Background(), api.StatusParams{}); st.Relay.Protocol != 0 {
		t.Fatalf("protocol %d with no connection, want 0", st.Relay.Protocol)
	}
}
