package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/securep2p/securep2p/daemon/api"
)

// sendBatch queues texts from d to peer through the Go client (no wait)
// and returns the stored messages.
func (d *daemonNode) sendBatch(t *testing.T, peer string, texts []string) []api.Message {
	t.Helper()
	ctx := stepCtx(t, 5*time.Minute)
	out := make([]api.Message, 0, len(texts))
	for _, text := range texts {
		res, err := d.c.Send(ctx, api.SendParams{To: peer, Text: text})
		if err != nil {
			t.Fatalf("%s: send %q to %s: %v", d.name, text, peer, err)
		}
		out = append(out, res.Message)
	}
	return out
}

func numbered(prefix string, from, n int) []string {
	texts := make([]string, n)
	for i := range texts {
		texts[i] = fmt.Sprintf("%s %04d", prefix, from+i)
	}
	return texts
}

// TestOfflineDelivery100 is scenario 2: bob's daemon is stopped, alice
// sends 100, bob starts again: all 100 arrive exactly once, in order.
func TestOfflineDelivery100(t *testing.T) {
	const n = 100
	p := startPair(t, nil)
	p.alice.sendWait(t, "bob", "before bob leaves", api.StatusDelivered)
	p.bob.stop()
	texts := numbered("offline", 0, n)
	sent := p.alice.sendBatch(t, "bob", texts)
	p.alice.waitOutgoing(t, 2*time.Minute, "bob", n+1, api.StatusSent)
	p.bob.restart(t)
	h := p.bob.waitIncoming(t, 2*time.Minute, "alice", n+1)
	got := h[1:]
	if len(got) != n {
		t.Fatalf("bob holds %d offline messages, want exactly %d", len(got), n)
	}
	for i, m := range got {
		if m.Text != texts[i] || m.ID != sent[i].ID || m.Direction != api.DirectionIn {
			t.Fatalf("bob's message %d = %q (%s), want %q (%s): out of order, lost or doubled", i, m.Text, m.ID, texts[i], sent[i].ID)
		}
	}
	p.alice.waitOutgoing(t, 2*time.Minute, "bob", n+1, api.StatusDelivered)
	if h := p.bob.mustHistory(t, "alice"); len(h) != n+1 {
		t.Fatalf("bob holds %d messages after alice saw all delivered, want %d", len(h), n+1)
	}
}
