package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/store"
)

// heldByKeyChange gives alice a verified contact bob, queues a message to
// him and lets bob's reinstalled daemon (a new identity key) write to
// alice: the key change holds the queued message. It returns the message
// id and the reinstalled bob.
func heldByKeyChange(t *testing.T) (alice *handNode, id store.ID, bob2 *handNode) {
	t.Helper()
	alice, bob := newHandNode(t, "alice"), newHandNode(t, "bob")
	runScript(alice, bob, "a+ b<")
	settle(alice, bob)
	verifyContact(t, alice, "bob")
	dropSessions(t, alice, "bob") // the next message fetches a bundle
	id = alice.queue(bob, "to the verified bob only")
	bob2 = newHandNode(t, "bob")
	bob2.queue(alice, "hi from my new install")
	bob2.transmit(alice)
	return alice, id, bob2
}

// dropSessions forgets every session n has with peer.
func dropSessions(t *testing.T, n *handNode, peer string) {
	t.Helper()
	if err := n.e.db.Update(func(tx *store.Tx) error { return deleteSessions(tx, peer) }); err != nil {
		t.Fatal(err)
	}
}

// verifyContact marks n's contact peer verified, as Verify does.
func verifyContact(t *testing.T, n *handNode, peer string) {
	t.Helper()
	err := n.e.update(func(tx *store.Tx, _ emitFunc) error {
		c, _, err := tx.Contact(peer)
		if err != nil {
			return err
		}
		c.Trust = store.Verified
		return tx.PutContact(c)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestHeldMessageAnnouncedOnce: a message held for a key change is
// announced once; the outbox passes that follow (every RetryEvery) leave it
// alone: no status event, no store write.
func TestHeldMessageAnnouncedOnce(t *testing.T) {
	alice, id, _ := heldByKeyChange(t)
	alice.receive(0) // the key change: the message is held and announced
	held, _ := alice.e.loadMessage(id)
	if held.Status != store.Held {
		t.Fatalf("after the key change: status %s, want held", held.Status)
	}
	_, _, cursor, err := alice.e.EventsSince(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for pass := range 5 { // what flushOutbox does for the message on each pass
		m, _ := alice.e.loadMessage(id)
		if err := alice.e.prepare(context.Background(), nil, &m); !errors.Is(err, errNotNow) {
			t.Fatalf("pass %d: prepare %v, want errNotNow", pass, err)
		}
	}
	evs, _, _, err := alice.e.EventsSince(cursor, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Type == api.EventStatus && ev.Message != nil && ev.Message.ID == id.String() {
			t.Errorf("held message re-announced: %+v", ev.Message)
		}
	}
	if after, _ := alice.e.loadMessage(id); after.Status != store.Held || !after.Updated.Equal(held.Updated) {
		t.Fatalf("outbox passes rewrote the held message: status %s, updated %v -> %v", after.Status, held.Updated, after.Updated)
	}
}

// TestKeyChangeDuringFetchKeepsHold: prepare looked at the contact (no
// hold), then fetched a bundle; during the fetch a prekey message from the
// contact's new key held the message. encrypt must not write back its
// stale copy: the message stays held, without an envelope for the new,
// unverified key.
func TestKeyChangeDuringFetchKeepsHold(t *testing.T) {
	alice, id, bob2 := heldByKeyChange(t)
	m, _ := alice.e.loadMessage(id) // flushOutbox's copy; prepare passed ShouldHold
	fetched := bob2.bundle(true)    // the bundle alice is fetching right now
	alice.receive(0)                // arrives during the fetch: key change, message held
	if got, _ := alice.e.loadMessage(id); got.Status != store.Held {
		t.Fatalf("after the key change: status %s, want held", got.Status)
	}
	held, err := alice.e.checkBundleKey(&m, fetched) // the rest of prepare
	if err == nil && !held {
		err = alice.e.encrypt(&m, fetched)
	}
	if !errors.Is(err, errNotNow) {
		t.Errorf("prepare after the fetch: %v, want errNotNow", err)
	}
	if got, _ := alice.e.loadMessage(id); got.Status != store.Held || got.Envelope != nil {
		t.Fatalf("message is %s with a %d-byte envelope, want held without one: the hold was undone", got.Status, len(got.Envelope))
	}
}
