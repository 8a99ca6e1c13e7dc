package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/e2e"
	"github.com/securep2p/securep2p/daemon/internal/store"
	"github.com/securep2p/securep2p/wire"
)

// crossedScripts are interleavings of first messages sent by both sides
// before either has a session (see runScript for the ops).
var crossedScripts = map[string]string{
	"a_receives_first":       "a+ b+ a< b<",
	"b_receives_first":       "a+ b+ b< a<",
	"both_queue_more":        "a+ a+ b+ b+ b< b> b+ a* b*",
	"reply_overtakes_first":  "a+ b+ b< b> a$ a<",
	"old_session_after_both": "a+ b+ b+ a< a> b$ b> a* b*",
	"receipts_cross":         "a+ b+ a< b< a> b> a+ b+ a$ b$",
}

// TestCrossedFirstMessages plays every script with a the lexicographically
// smaller name and again with a the larger one: whatever the order, every
// message is delivered exactly once and later messages keep working.
func TestCrossedFirstMessages(t *testing.T) {
	for name, script := range crossedScripts {
		for _, names := range [][2]string{{"alice", "bob"}, {"zed", "bob"}} {
			t.Run(name+"/"+names[0]+"_"+names[1], func(t *testing.T) {
				a, b := newHandNode(t, names[0]), newHandNode(t, names[1])
				runScript(a, b, script)
				settle(a, b)
				runScript(a, b, "a+ b+ b< a< a+ b+")
				settle(a, b)
				checkAllDelivered(t, a, b)
				checkAllDelivered(t, b, a)
				checkConverged(t, a, b)
			})
		}
	}
}

// TestEncryptUsesSessionStoredMeanwhile: alice fetched bob's bundle, but
// bob's first message set up a session before alice encrypted. She must
// use that session, not start a competing one.
func TestEncryptUsesSessionStoredMeanwhile(t *testing.T) {
	alice, bob := newHandNode(t, "alice"), newHandNode(t, "bob")
	fetched := bob.bundle(true)
	runScript(alice, bob, "b+ b+ a<")
	id := alice.queue(bob, "written while the bundle was in flight")
	m, _ := alice.e.loadMessage(id)
	if err := alice.e.encrypt(&m, fetched); err != nil {
		t.Fatal(err)
	}
	alice.e.accepted(id[:])
	bob.box = append(bob.box, mail{id: id, from: alice, env: m.Envelope})
	settle(alice, bob)
	runScript(alice, bob, "a+ b+")
	settle(alice, bob)
	checkAllDelivered(t, alice, bob)
	checkAllDelivered(t, bob, alice)
	checkConverged(t, alice, bob)
}

// TestReplayedPrekeyMessageKeepsSession: a prekey message with a base key
// bob never saw and no one-time prekey (a relay replaying an old one) is
// decrypted but does not replace the working session.
func TestReplayedPrekeyMessageKeepsSession(t *testing.T) {
	alice, bob := newHandNode(t, "alice"), newHandNode(t, "bob")
	runScript(alice, bob, "a+")
	settle(alice, bob)
	runScript(alice, bob, "b+")
	settle(alice, bob)

	old, err := e2e.Initiate(alice.e.id, "alice", bob.bundle(false))
	if err != nil {
		t.Fatal(err)
	}
	oid := store.NewID()
	content, _ := e2e.EncodeContent(&e2e.Content{Kind: e2e.KindText, Body: "old", ID: oid[:]})
	env, err := old.Encrypt(content)
	if err != nil {
		t.Fatal(err)
	}
	if !bob.e.handleDeliver(&wire.Deliver{ID: oid[:], From: "alice", Body: env}) {
		t.Fatal("replayed prekey message not acknowledged")
	}
	bob.e.cryptoMu.Lock()
	bob.e.wipeOutbox(t, "alice") // the receipt for "old" would go nowhere useful
	bob.e.cryptoMu.Unlock()
	runScript(alice, bob, "a+ b+ a+ b+")
	settle(alice, bob)
	checkAllDelivered(t, alice, bob)
	checkAllDelivered(t, bob, alice)
}

// wipeOutbox drops queued messages to peer (test helper).
func (e *Engine) wipeOutbox(t *testing.T, peer string) {
	err := e.update(func(tx *store.Tx, _ emitFunc) error {
		for _, id := range tx.Outbox(outboxBatch) {
			m, ok, err := tx.Message(id)
			if err != nil || !ok || m.Peer != peer {
				continue
			}
			if err := tx.Dequeue(&m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestUndecryptableMessageSurfaces: a message that fails its MAC is
// acknowledged (the relay must not loop) but shown as a failed incoming
// message with an event, and counted.
func TestUndecryptableMessageSurfaces(t *testing.T) {
	alice, bob := newHandNode(t, "alice"), newHandNode(t, "bob")
	runScript(alice, bob, "a+")
	settle(alice, bob)
	alice.queue(bob, "tampered")
	alice.transmit(bob)
	bad := bob.box[0]
	bad.env = append([]byte(nil), bad.env...)
	bad.env[len(bad.env)-1] ^= 1
	bob.box[0] = bad
	sub := bob.e.Subscribe()
	defer sub.Close()
	bob.receive(0)
	if n := bob.e.Undecryptable(); n != 1 {
		t.Fatalf("undecryptable count %d, want 1", n)
	}
	var ev *api.Event
	for len(sub.C) > 0 {
		if e := <-sub.C; e.Type == api.EventMessage {
			ev = &e
		}
	}
	if ev == nil || ev.Message.Status != api.StatusFailed || ev.Message.Failure == nil ||
		ev.Message.Failure.Code != api.CodeUndecryptable ||
		ev.Message.Direction != api.DirectionIn || ev.Message.ID != bad.id.String() || ev.Message.Peer != "alice" {
		t.Fatalf("event %+v, want a failed incoming message", ev)
	}
	if st, err := bob.e.Status(context.Background(), api.StatusParams{}); err != nil || st.Undecryptable != 1 {
		t.Fatalf("status undecryptable %d (%v), want 1", st.Undecryptable, err)
	}
	if !bob.e.handleDeliver(&wire.Deliver{ID: bad.id[:], From: "alice", Body: bad.env}) || bob.e.Undecryptable() != 1 {
		t.Fatal("a redelivered failure was counted twice or not acknowledged")
	}
	runScript(alice, bob, "a+ b+")
	settle(alice, bob)
	checkDelivered(t, alice, bob, []store.ID{alice.sent[0], alice.sent[2]})
	checkAllDelivered(t, bob, alice)
}

// TestCrossedFirstMessagesStress runs both sides' first messages against a
// real relay: bob queues while offline as alice writes to him, then comes
// back (his outbox and his mailbox race); then two fresh users send their
// first messages at the same time while both are online.
func TestCrossedFirstMessagesStress(t *testing.T) {
	r := startRelay(t)
	for round := range 2 {
		a, b := startNode(t, r.addr, ""), startNode(t, r.addr, "")
		an, bn := fmt.Sprintf("ann%d", round), fmt.Sprintf("ben%d", round)
		a.register(an)
		b.register(bn)
		b.stop()
		off := startNode(t, "127.0.0.1:9", b.path)
		var bIDs, aIDs []string
		for i := range 3 {
			bIDs = append(bIDs, off.send(an, fmt.Sprintf("offline %d", i), "").Message.ID)
		}
		off.stop()
		for i := range 3 {
			aIDs = append(aIDs, a.send(bn, fmt.Sprintf("to offline %d", i), api.StatusSent).Message.ID)
		}
		b = startNode(t, r.addr, b.path)
		aIDs, bIDs = sendBoth(t, a, b, an, bn, aIDs, bIDs)
		checkConversation(t, a, b, an, bn, aIDs, bIDs)
	}
	for round := range 2 {
		a, b := startNode(t, r.addr, ""), startNode(t, r.addr, "")
		an, bn := fmt.Sprintf("cat%d", round), fmt.Sprintf("dan%d", round)
		a.register(an)
		b.register(bn)
		aIDs, bIDs := sendBoth(t, a, b, an, bn, nil, nil)
		checkConversation(t, a, b, an, bn, aIDs, bIDs)
	}
}

// sendBoth sends three messages from each side at the same time.
func sendBoth(t *testing.T, a, b *node, an, bn string, aIDs, bIDs []string) ([]string, []string) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, s := range []struct {
		n   *node
		to  string
		ids *[]string
	}{{a, bn, &aIDs}, {b, an, &bIDs}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 3 {
				r, err := s.n.e.Send(context.Background(), api.SendParams{To: s.to, Text: fmt.Sprintf("both %d", i)})
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					*s.ids = append(*s.ids, r.Message.ID)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("send: %v", errs)
	}
	return aIDs, bIDs
}

// checkConversation waits until every message is delivered, then checks
// later messages both ways and that each arrived exactly once.
func checkConversation(t *testing.T, a, b *node, an, bn string, aIDs, bIDs []string) {
	t.Helper()
	for _, id := range aIDs {
		a.waitFor("delivered "+id, func() bool { return a.status(id) == api.StatusDelivered })
	}
	for _, id := range bIDs {
		b.waitFor("delivered "+id, func() bool { return b.status(id) == api.StatusDelivered })
	}
	aIDs = append(aIDs, a.send(bn, "later", api.StatusDelivered).Message.ID)
	bIDs = append(bIDs, b.send(an, "later", api.StatusDelivered).Message.ID)
	onceEach(t, b.history(an), aIDs)
	onceEach(t, a.history(bn), bIDs)
	for _, p := range []struct {
		n    *node
		peer string
	}{{a, bn}, {b, an}} {
		if _, _, s, err := p.n.e.peerState(p.peer); err != nil || s == nil || s.AwaitingReply() {
			t.Errorf("session with %s not settled into one pair (%v)", p.peer, err)
		}
	}
	if a.e.Undecryptable() != 0 || b.e.Undecryptable() != 0 {
		t.Fatalf("undecryptable: %d, %d", a.e.Undecryptable(), b.e.Undecryptable())
	}
}

func onceEach(t *testing.T, hist []api.Message, ids []string) {
	t.Helper()
	n := map[string]int{}
	for _, m := range hist {
		if m.Direction == api.DirectionIn {
			n[m.ID]++
		}
	}
	for _, id := range ids {
		if n[id] != 1 {
			t.Errorf("message %s arrived %d times", id, n[id])
		}
	}
}
