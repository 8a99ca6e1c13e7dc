package engine

import (
	"bytes"
	"context"
	"testing"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/store"
)

// TestSendWithSessionEncryptsInQueueTx: with a session, Send commits the
// envelope and the advanced session with the queue entry; an engine stopped
// before transmitting sends exactly that envelope after a restart, and the
// recipient stores the message once.
func TestSendWithSessionEncryptsInQueueTx(t *testing.T) {
	r, bob, offline := offlineWithSession(t) // no relay: nothing is transmitted
	var before, after []byte
	_ = offline.db.View(func(tx *store.Tx) error { before = tx.Session("bob"); return nil })
	res := offline.send("bob", "sealed at send", "")
	id, _ := store.ParseID(res.Message.ID)
	queued, _ := offline.e.loadMessage(id)
	if res.Message.Status != api.StatusQueued || queued.Envelope == nil || queued.OutboxSeq == 0 {
		t.Fatalf("after Send: status %s, envelope %d bytes, outbox %d", res.Message.Status, len(queued.Envelope), queued.OutboxSeq)
	}
	_ = offline.db.View(func(tx *store.Tx) error { after = tx.Session("bob"); return nil })
	if before == nil || bytes.Equal(before, after) {
		t.Fatal("the advanced session was not committed with the queued message")
	}
	offline.stop()
	online := startNode(t, r.addr, offline.path)
	online.waitFor("delivered after restart", func() bool { return online.status(res.Message.ID) == api.StatusDelivered })
	sent, _ := online.e.loadMessage(id)
	if !bytes.Equal(sent.Envelope, queued.Envelope) {
		t.Fatal("the restarted engine changed the envelope")
	}
	var got store.Message
	_ = bob.db.View(func(tx *store.Tx) (err error) { got, _, err = tx.Message(id); return })
	if !bytes.Equal(got.Envelope, queued.Envelope) {
		t.Fatal("bob received a different envelope than the one committed by Send")
	}
	if h := bob.history("alice"); len(h) != 2 || h[1].Text != "sealed at send" {
		t.Fatalf("bob's history %+v", h)
	}
}

// TestSendHeldNotSealed: a message to a held contact is not encrypted at
// Send; it waits without an envelope.
func TestSendHeldNotSealed(t *testing.T) {
	r := startRelay(t)
	alice := startNode(t, r.addr, "")
	alice.register("alice")
	_ = alice.e.update(func(tx *store.Tx, _ emitFunc) error {
		return tx.PutContact(store.Contact{Username: "bob", IdentityKey: alice.e.id.Public().Bytes(),
			Trust: store.Verified, KeyChanged: true})
	})
	_, err := alice.e.Send(context.Background(), api.SendParams{To: "bob", Text: "held"})
	if err == nil {
		t.Fatal("send to a held contact did not report key_changed")
	}
	h := alice.history("bob")
	if len(h) != 1 || h[0].Status != api.StatusHeld {
		t.Fatalf("history %+v", h)
	}
	id, _ := store.ParseID(h[0].ID)
	if m, _ := alice.e.loadMessage(id); m.Envelope != nil {
		t.Fatal("a held message was encrypted at Send")
	}
}
