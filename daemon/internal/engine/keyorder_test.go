package engine

import (
	"context"
	"testing"

	"github.com/securep2p/securep2p/daemon/internal/store"
)

// TestDisputeKeepsOrder: two queued messages to a peer the relay claimed
// a key change for; the check finds the key unchanged and paces the
// resend. The second message must not leave before the first: every
// message to the peer waits for the pace, so they go in queue order.
func TestDisputeKeepsOrder(t *testing.T) {
	alice, bob := conversing(t)
	now := alice.e.cfg.Now()
	m1 := &store.Message{ID: store.NewID(), Peer: "bob", Dir: store.Out, Kind: store.KindText, Text: "m1", Status: store.Queued, Created: now, Updated: now}
	m2 := &store.Message{ID: store.NewID(), Peer: "bob", Dir: store.Out, Kind: store.KindText, Text: "m2", Status: store.Queued, Created: now, Updated: now}
	alice.e.mu.Lock()
	alice.e.keyCheck["bob"] = true // both were answered key_changed (disputeKey)
	alice.e.mu.Unlock()
	for _, m := range []*store.Message{m1, m2} {
		if err := alice.e.enqueue(m); err != nil {
			t.Fatal(err)
		}
	}
	alice.e.flushOutbox(context.Background()) // m1: recheck, key unchanged, paced
	alice.e.flushOutbox(context.Background()) // m2 must wait too
	alice.waitFor("m1 and m2 delivered", func() bool {
		a, _ := alice.e.loadMessage(m1.ID)
		b, _ := alice.e.loadMessage(m2.ID)
		return a.Status == store.Delivered && b.Status == store.Delivered
	})
	h := bob.history("alice")
	var order []string
	for _, m := range h {
		if m.Text == "m1" || m.Text == "m2" {
			order = append(order, m.Text)
		}
	}
	if len(order) != 2 || order[0] != "m1" {
		t.Fatalf("bob received %v, want [m1 m2]", order)
	}
}
