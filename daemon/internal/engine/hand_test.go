package engine

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/securep2p/securep2p/daemon/internal/store"
	"github.com/securep2p/securep2p/wire"
)

// handNode is an engine that never connects: tests move envelopes between
// two of them by hand, so every interleaving of the e2e steps is exact.
// prepare, encrypt, accepted (+flushAccepted) and handleDeliver are the
// engine's own code; only the relay is replaced by a FIFO mailbox per
// recipient.
type handNode struct {
	t    *testing.T
	e    *Engine
	name string
	box  []mail // envelopes the "relay" holds for this node, oldest first
	sent []store.ID
}

type mail struct {
	id   store.ID
	from *handNode
	env  []byte
}

func newHandNode(t *testing.T, name string) *handNode {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	e, err := New(Config{DB: db, RelayAddr: "127.0.0.1:9"})
	if err != nil {
		t.Fatal(err)
	}
	e.acct = store.Account{Username: name, LoggedIn: true}
	return &handNode{t: t, e: e, name: name}
}

// bundle publishes a bundle of n as the relay would hand it out, with a
// fresh one-time prekey when withOTK.
func (n *handNode) bundle(withOTK bool) *wire.Bundle {
	n.t.Helper()
	n.e.cryptoMu.Lock()
	defer n.e.cryptoMu.Unlock()
	spk, _ := n.e.pk.CurrentSignedPrekey()
	b := &wire.Bundle{Username: n.name, IdentityKey: n.e.id.Public().Bytes(), SignedPrekey: spk}
	if withOTK {
		otk, err := n.e.pk.GenerateOneTime(1)
		if err != nil {
			n.t.Fatal(err)
		}
		b.OneTime = &otk[0]
		if err := n.e.db.Update(n.e.savePrekeys); err != nil {
			n.t.Fatal(err)
		}
	}
	return b
}

// queue stores a text message to peer in the outbox, like Send.
func (n *handNode) queue(peer *handNode, text string) store.ID {
	n.t.Helper()
	now := n.e.cfg.Now()
	m := &store.Message{ID: store.NewID(), Peer: peer.name, Dir: store.Out, Kind: store.KindText, Text: text,
		Status: store.Queued, Created: now, Updated: now}
	if err := n.e.update(func(tx *store.Tx, _ emitFunc) error { return tx.Enqueue(m) }); err != nil {
		n.t.Fatal(err)
	}
	n.sent = append(n.sent, m.ID)
	return m.ID
}

// transmit encrypts every queued message to peer (fetching peer's bundle
// when the engine asks for one), lets the relay accept it and puts it in
// peer's mailbox.
func (n *handNode) transmit(peer *handNode) {
	n.t.Helper()
	var ids []store.ID
	_ = n.e.db.View(func(tx *store.Tx) error { ids = tx.Outbox(outboxBatch); return nil })
	for _, id := range ids {
		m, ok := n.e.loadMessage(id)
		if !ok || m.Peer != peer.name {
			continue
		}
		if m.Envelope == nil {
			if _, _, sess, _ := n.e.peerState(peer.name); sess == nil {
				n.e.bundles[peer.name] = peer.bundle(true)
			}
			if err := n.e.prepare(context.Background(), nil, &m); err != nil || m.Envelope == nil {
				n.t.Fatalf("%s: prepare %s: %v", n.name, id, err)
			}
		}
		n.e.accepted(id[:])
		n.e.flushAccepted() // what the accept worker (not running here) does
		peer.box = append(peer.box, mail{id: id, from: n, env: m.Envelope})
	}
}

// receive hands n the mailbox entry at index i; it must be acknowledged.
func (n *handNode) receive(i int) {
	n.t.Helper()
	d := n.box[i]
	n.box = append(n.box[:i:i], n.box[i+1:]...)
	if !n.e.handleDeliver(&wire.Deliver{ID: d.id[:], From: d.from.name, Body: d.env}) {
		n.t.Fatalf("%s: envelope %s not acknowledged", n.name, d.id)
	}
}

func (n *handNode) outboxLen() int {
	var k int
	_ = n.e.db.View(func(tx *store.Tx) error { k = len(tx.Outbox(outboxBatch)); return nil })
	return k
}

// settle runs both sides until no envelope is queued or in a mailbox.
func settle(a, b *handNode) {
	for range 20 {
		a.transmit(b)
		b.transmit(a)
		for len(a.box) > 0 {
			a.receive(0)
		}
		for len(b.box) > 0 {
			b.receive(0)
		}
		if a.outboxLen() == 0 && b.outboxLen() == 0 {
			return
		}
	}
	a.t.Fatal("conversation did not settle")
}

// runScript plays ops on the pair: "a+" a queues a text and transmits, "a>"
// a transmits what is queued (receipts), "a<" a receives its oldest
// mailbox entry, "a$" its newest, "a*" all of them; "b..." likewise.
func runScript(a, b *handNode, script string) {
	for _, op := range strings.Fields(script) {
		n, peer := a, b
		if op[0] == 'b' {
			n, peer = b, a
		}
		switch op[1:] {
		case "+":
			n.queue(peer, n.name+" says "+op+" #"+strconv.Itoa(len(n.sent)))
			n.transmit(peer)
		case ">":
			n.transmit(peer)
		case "<":
			n.receive(0)
		case "$":
			n.receive(len(n.box) - 1)
		case "*":
			for len(n.box) > 0 {
				n.receive(0)
			}
		default:
			a.t.Fatalf("bad op %q", op)
		}
	}
}

// checkAllDelivered asserts the invariant: every text from sent arrived
// exactly once with its text at peer, the sender saw it delivered, and
// nothing failed to decrypt.
func checkAllDelivered(t *testing.T, from, to *handNode) {
	t.Helper()
	for _, m := range incoming(t, from, to) {
		if m.Status == store.Failed {
			t.Errorf("%s: incoming %s failed: %s", to.name, m.ID, m.Reason)
		}
	}
	checkDelivered(t, from, to, from.sent)
	if n := to.e.Undecryptable(); n != 0 {
		t.Errorf("%s: %d undecryptable messages", to.name, n)
	}
}

func incoming(t *testing.T, from, to *handNode) []store.Message {
	t.Helper()
	var hist []store.Message
	if err := to.e.db.View(func(tx *store.Tx) (err error) { hist, err = tx.History(from.name, 0, 10000); return }); err != nil {
		t.Fatal(err)
	}
	var in []store.Message
	for _, m := range hist {
		if m.Dir == store.In {
			in = append(in, m)
		}
	}
	return in
}

// checkDelivered asserts that each of ids (sent by from) arrived exactly
// once, intact, at to and is delivered on from's side.
func checkDelivered(t *testing.T, from, to *handNode, ids []store.ID) {
	t.Helper()
	got := map[store.ID][]store.Message{}
	for _, m := range incoming(t, from, to) {
		got[m.ID] = append(got[m.ID], m)
	}
	for _, id := range ids {
		m, _ := from.e.loadMessage(id)
		if in := got[id]; len(in) != 1 || in[0].Text != m.Text || in[0].Status == store.Failed {
			t.Errorf("%s -> %s: message %q arrived as %+v, want exactly once", from.name, to.name, m.Text, in)
		}
		if m.Status != store.Delivered {
			t.Errorf("%s -> %s: message %q is %s, want delivered", from.name, to.name, m.Text, m.Status)
		}
	}
}

// checkConverged asserts that both sides ended on one session pair: each
// primary has heard from the other side (no longer sends prekey messages).
func checkConverged(t *testing.T, a, b *handNode) {
	t.Helper()
	for _, n := range []struct{ self, peer *handNode }{{a, b}, {b, a}} {
		_, _, sess, err := n.self.e.peerState(n.peer.name)
		if err != nil || sess == nil || sess.AwaitingReply() {
			t.Errorf("%s: session with %s still awaiting a reply (or none: %v)", n.self.name, n.peer.name, err)
		}
	}
}

// TestSendInternalErrorRetried: Error CodeInternal on a Send (a NATS leader
// election behind the relay) leaves the message queued with its envelope,
// and the retry under the same id is accepted and delivered once.
func TestSendInternalErrorRetried(t *testing.T) {
	alice, bob := newHandNode(t, "alice"), newHandNode(t, "bob")
	id := alice.queue(bob, "through an election")
	alice.e.bundles[bob.name] = bob.bundle(true)
	m, _ := alice.e.loadMessage(id)
	if err := alice.e.prepare(context.Background(), nil, &m); err != nil || m.Envelope == nil {
		t.Fatalf("prepare: %v", err)
	}
	alice.e.Frame(nil, &wire.Frame{Error: &wire.Error{ID: id[:], Code: wire.CodeInternal}})
	after, _ := alice.e.loadMessage(id)
	if after.Status != store.Queued || after.FailCode != "" || alice.outboxLen() != 1 {
		t.Fatalf("after CodeInternal: status %s, failure %q, outbox %d; want still queued", after.Status, after.FailCode, alice.outboxLen())
	}
	if string(after.Envelope) != string(m.Envelope) {
		t.Fatal("the envelope changed: the retry would not be deduplicated by the relay")
	}
	settle(alice, bob)
	checkAllDelivered(t, alice, bob)
}
