package store

import (
	"testing"
	"time"
)

// Adaptive hold time (ackwait.go), driven by a fake clock on the held set.

// heldOp is a held envelope for user, pushed at.
func heldOp(h *heldSet, user string, at time.Time) *appendOp {
	o := &appendOp{env: Envelope{To: user, ID: newID()}}
	h.hold(o, at)
	return o
}

// slowAckRound holds one envelope at t, runs the commit rounds a store
// would (every 10ms) until the Ack at t+ack, and returns whether it was
// written before the Ack.
func slowAckRound(h *heldSet, t time.Time, ack time.Duration) bool {
	o := heldOp(h, "bob", t)
	written := false
	for d := 10 * time.Millisecond; d < ack; d += 10 * time.Millisecond {
		if len(h.due(t.Add(d), 1000, false, nil)) > 0 {
			written = true
		}
	}
	if h.cancel(o.key(), t.Add(ack)) == nil && !written {
		panic("envelope neither held nor written")
	}
	return written
}

// TestAckWaitAdaptsToSlowAcks: Acks that consistently take 150ms (more
// than AckWait 100ms) first find their envelopes written; the late Acks
// are measured, the hold grows, and from then on every Ack cancels its
// hold: no writes for acknowledged envelopes.
func TestAckWaitAdaptsToSlowAcks(t *testing.T) {
	var h heldSet
	h.init(64, 100*time.Millisecond, 2*time.Second)
	const ack = 150 * time.Millisecond
	t0 := time.Unix(1000, 0)
	if !slowAckRound(&h, t0, ack) {
		t.Fatal("first envelope not written after AckWait 100ms")
	}
	for i := 1; i <= 20; i++ {
		if slowAckRound(&h, t0.Add(time.Duration(i)*time.Second), ack) {
			t.Fatalf("envelope %d written although the hold had learned the 150ms Acks", i)
		}
	}
	if got := h.est.hold(); got < 4*ack*9/10 || got > 4*ack*11/10 {
		t.Fatalf("hold %v, want about 4 x 150ms", got)
	}
}

// TestAckWaitClamped: very slow Acks raise the hold to MaxAckWait and no
// further; very fast ones lower it to AckWait and no further.
func TestAckWaitClamped(t *testing.T) {
	var h heldSet
	h.init(64, 100*time.Millisecond, 2*time.Second)
	t0 := time.Unix(1000, 0)
	for i := range 50 {
		o := heldOp(&h, "bob", t0)
		h.cancel(o.key(), t0.Add(time.Duration(i+1)*time.Minute))
	}
	if got := h.est.hold(); got != 2*time.Second {
		t.Fatalf("hold %v after slow Acks, want MaxAckWait 2s", got)
	}
	if d, ok := h.wait(t0); ok {
		t.Fatalf("nothing held, wait %v", d)
	}
	heldOp(&h, "bob", t0)
	if d, _ := h.wait(t0); d != 2*time.Second {
		t.Fatalf("wait %v, want 2s", d)
	}
	if len(h.due(t0.Add(2*time.Second+time.Millisecond), 1000, false, nil)) != 1 {
		t.Fatal("envelope not written after MaxAckWait")
	}
	for range 200 {
		o := heldOp(&h, "bob", t0)
		h.cancel(o.key(), t0.Add(time.Microsecond))
	}
	if got := h.est.hold(); got != 100*time.Millisecond {
		t.Fatalf("hold %v after fast Acks, want AckWait 100ms", got)
	}
}

// TestAckWaitMaxRaisedToFloor: a MaxAckWait below AckWait is raised to
// it (tests hold for an hour).
func TestAckWaitMaxRaisedToFloor(t *testing.T) {
	o := Options{AckWait: time.Hour}
	o.populate()
	if o.MaxAckWait != time.Hour {
		t.Fatalf("MaxAckWait %v, want AckWait 1h", o.MaxAckWait)
	}
}

// TestDeadSessionHeldWrittenPromptly: with the hold at an hour, releasing
// the recipient (its connection is gone) writes its held envelopes at once
// and reports them Stored; another recipient's stay held.
func TestDeadSessionHeldWrittenPromptly(t *testing.T) {
	s, rec, _, _ := heldStore(t, time.Hour)
	mustCreate(t, s, "carol", 2, 0)
	bob := appendAsync(s, env("bob", "to a dead session", time.Now().Add(time.Hour)))
	carol := appendAsync(s, env("carol", "to a live session", time.Now().Add(time.Hour)))
	waitPushed(t, rec, 2)
	s.ReleaseHeld("bob")
	if r := <-bob; r.err != nil || r.res.Status != Stored {
		t.Fatalf("released envelope: %v %v, want Stored", r.res.Status, r.err)
	}
	if got, _ := s.Pending("bob", 0, time.Now(), 10); len(got) != 1 {
		t.Fatalf("%d envelopes in bob's mailbox, want 1", len(got))
	}
	if u := s.held.usage("carol"); u.count != 1 {
		t.Fatalf("carol's envelope not held (%d)", u.count)
	}
	select {
	case r := <-carol:
		t.Fatalf("carol's envelope reported %v while held", r.res.Status)
	default:
	}
}

// TestReleaseHeldBehindUnreleased: a released envelope queued behind one
// that is not due is still taken, and the other stays held in order.
func TestReleaseHeldBehindUnreleased(t *testing.T) {
	var h heldSet
	h.init(64, time.Hour, time.Hour)
	t0 := time.Unix(1000, 0)
	carol := heldOp(&h, "carol", t0)
	bob := heldOp(&h, "bob", t0)
	h.release("bob")
	got := h.due(t0, 1000, false, nil)
	if len(got) != 1 || got[0] != bob {
		t.Fatalf("due %d envelopes, want bob's", len(got))
	}
	if len(h.queue) != 1 || h.queue[0] != carol || h.m[carol.key()] != carol {
		t.Fatal("carol's envelope not left held")
	}
}
