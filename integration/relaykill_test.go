package integration

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/securep2p/securep2p/daemon/api"
)

// flowCount is the outcome of one direction of a stream of messages.
type flowCount struct {
	sent, accepted, delivered, duplicates, lost int
}

// tally compares what was sent with the receiver's history (by text, so a
// message re-sent under a new id would count as a duplicate too).
func tally(sent []api.Message, senderView, receiverView []api.Message) (flowCount, map[string]int) {
	c := flowCount{sent: len(sent)}
	seen := map[string]int{}
	for _, m := range receiverView {
		if m.Direction == api.DirectionIn {
			seen[m.Text]++
		}
	}
	sentText := map[string]bool{}
	for _, m := range sent {
		sentText[m.Text] = true
	}
	for _, m := range senderView {
		if m.Direction == api.DirectionOut && sentText[m.Text] && statusRank[m.Status] >= statusRank[api.StatusSent] {
			c.accepted++
		}
	}
	for _, m := range sent {
		switch n := seen[m.Text]; {
		case n == 0:
			c.lost++
		case n > 1:
			c.duplicates += n - 1
			c.delivered++
		default:
			c.delivered++
		}
	}
	return c, seen
}

// sendAsync sends texts from d to peer in a goroutine, calling at(i) before
// message i.
func (d *daemonNode) sendAsync(t *testing.T, wg *sync.WaitGroup, peer string, texts []string, out *[]api.Message) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		ctx := stepCtx(t, 5*time.Minute)
		for _, text := range texts {
			res, err := d.c.Send(ctx, api.SendParams{To: peer, Text: text})
			if err != nil {
				t.Errorf("%s: send %q: %v", d.name, text, err)
				return
			}
			*out = append(*out, res.Message)
		}
	}()
}

// TestRelaySIGKILLMidStream is scenario 3: the relay is killed with
// SIGKILL in the middle of relayKillCount messages each way and restarted
// on the same address with the same state: every message that had reached
// sent arrives exactly once, and in the end all arrive, none twice.
func TestRelaySIGKILLMidStream(t *testing.T) {
	const n = relayKillCount
	p := startPair(t, nil)
	warmUp(t, p)
	var aSent, bSent []api.Message
	var wg sync.WaitGroup
	p.alice.sendAsync(t, &wg, "bob", numbered("a->b", 0, n/2), &aSent)
	p.bob.sendAsync(t, &wg, "alice", numbered("b->a", 0, n/2), &bSent)
	wg.Wait()
	p.relay.kill()
	aAtKill := p.alice.mustHistory(t, "bob")
	bAtKill := p.bob.mustHistory(t, "alice")
	p.relay = p.relay.restart(t)
	p.alice.sendAsync(t, &wg, "bob", numbered("a->b", n/2, n-n/2), &aSent)
	p.bob.sendAsync(t, &wg, "alice", numbered("b->a", n/2, n-n/2), &bSent)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if err := p.alice.awaitOutgoing(deliverTimeout, "bob", n, api.StatusDelivered); err != nil {
		t.Error(err)
	}
	if err := p.bob.awaitOutgoing(deliverTimeout, "alice", n, api.StatusDelivered); err != nil {
		t.Error(err)
	}
	aEnd, bEnd := p.alice.mustHistory(t, "bob"), p.bob.mustHistory(t, "alice")
	checkFlow(t, "alice->bob", aSent, aAtKill, aEnd, bEnd)
	checkFlow(t, "bob->alice", bSent, bAtKill, bEnd, aEnd)
}

// checkFlow logs the counts of one direction and requires that nothing was
// lost or doubled, in particular nothing that had reached sent at the kill.
func checkFlow(t *testing.T, name string, sent, senderAtKill, senderEnd, receiverEnd []api.Message) {
	t.Helper()
	c, seen := tally(sent, senderEnd, receiverEnd)
	sentAtKill, reported := 0, 0
	for _, m := range senderAtKill {
		if m.Direction == api.DirectionOut && statusRank[m.Status] >= statusRank[api.StatusSent] {
			sentAtKill++
			if seen[m.Text] != 1 && reported < 5 {
				reported++
				t.Errorf("%s: %q had reached %s before the kill but arrived %d times", name, m.Text, m.Status, seen[m.Text])
			}
		}
	}
	lostShown := 0
	for _, m := range senderEnd {
		if m.Direction == api.DirectionOut && seen[m.Text] == 0 && lostShown < 10 && slices.ContainsFunc(sent, func(s api.Message) bool { return s.ID == m.ID }) {
			lostShown++
			t.Logf("%s: lost %q id %s, %s at the sender", name, m.Text, m.ID, m.Status)
		}
	}
	t.Logf("%s: sent %d / accepted %d / delivered %d / duplicates %d / lost %d", name, c.sent, c.accepted, c.delivered, c.duplicates, c.lost)
	if senderAtKill != nil {
		t.Logf("%s: %d had reached sent when the relay was killed", name, sentAtKill)
	}
	if c.lost != 0 || c.duplicates != 0 || c.accepted != c.sent || c.delivered != c.sent {
		t.Errorf("%s: lost %d, duplicated %d, accepted %d and delivered %d of %d", name, c.lost, c.duplicates, c.accepted, c.delivered, c.sent)
	}
}

// warmUp exchanges one message each way so both sessions exist before a
// bulk stream (concurrent first contact is TestSimultaneousFirstContact).
func warmUp(t *testing.T, p *pair) {
	t.Helper()
	p.alice.sendWait(t, "bob", "warm-up", api.StatusDelivered)
	p.bob.sendWait(t, "alice", "warm-up", api.StatusDelivered)
}

// TestSimultaneousFirstContact: alice and bob, who never talked, send to
// each other at the same time (both start a session at once). Every
// message must arrive exactly once.
func TestSimultaneousFirstContact(t *testing.T) {
	const n = 20
	p := startPair(t, nil)
	var aSent, bSent []api.Message
	var wg sync.WaitGroup
	p.alice.sendAsync(t, &wg, "bob", numbered("a->b", 0, n), &aSent)
	p.bob.sendAsync(t, &wg, "alice", numbered("b->a", 0, n), &bSent)
	wg.Wait()
	if err := p.alice.awaitOutgoing(firstContactTimeout, "bob", n, api.StatusDelivered); err != nil {
		t.Error(err)
	}
	if err := p.bob.awaitOutgoing(firstContactTimeout, "alice", n, api.StatusDelivered); err != nil {
		t.Error(err)
	}
	aEnd, bEnd := p.alice.mustHistory(t, "bob"), p.bob.mustHistory(t, "alice")
	checkFlow(t, "alice->bob", aSent, nil, aEnd, bEnd)
	checkFlow(t, "bob->alice", bSent, nil, bEnd, aEnd)
}
