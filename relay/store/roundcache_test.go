package store

import (
	"fmt"
	"testing"
	"time"
)

// Tests of the known-empty mailbox path (roundcache.go): appends to a
// mailbox known to hold nothing are answered without a file lookup, so
// each test checks an answer that a stale or wrong fact would get wrong.

// resend appends e (again) and returns its answer. An append wrongly
// taken is held until its Ack (none comes): that is reported instead of
// waiting for ever.
// wantDuplicate fails unless re-sending e is answered Duplicate.
func wantDuplicate(t *testing.T, s *Bolt, e Envelope, what string) {
	t.Helper()
	if r := resend(t, s, e); r.Status != Duplicate {
		t.Fatalf("%s: %v, want duplicate", what, r.Status)
	}
}

func resend(t *testing.T, s *Bolt, e Envelope) AppendResult {
	t.Helper()
	select {
	case r := <-appendAsync(s, e):
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.res
	case <-time.After(30 * time.Second):
		t.Fatal("append not answered: taken and held")
		return AppendResult{}
	}
}

// pushAcked appends e to a store that pushes to rec and acks it, so that
// nothing is written.
func pushAcked(t *testing.T, s *Bolt, rec *pushRecorder, e Envelope) AppendResult {
	t.Helper()
	n := len(rec.pushed())
	ch := appendAsync(s, e)
	waitPushed(t, rec, n+1)
	if res := ackSync(s, e.To, e.ID); !res.Removed {
		t.Fatal("ack of the held envelope removed nothing")
	}
	r := <-ch
	if r.err != nil || r.res.Status != Acked {
		t.Fatalf("append: %v %v", r.res.Status, r.err)
	}
	return r.res
}

func TestPushedRoundOpensNoTransaction(t *testing.T) {
	s, rec, commits, _ := heldStore(t, time.Hour)
	for range 20 {
		pushAcked(t, s, rec, env("bob", "online", time.Now().Add(time.Hour)))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The first append looks the mailbox up; the others are answered from memory.
	if n := s.round.txs.Load(); n != 1 || commits.Load() != 0 {
		t.Fatalf("%d write transactions, %d commits for 20 pushed envelopes, want 1 and 0", n, commits.Load())
	}
}

// knownEmptyThenWritten: bob's mailbox is learned empty (an envelope
// pushed and acked), then an envelope e is written to it (its push
// refused; rec still refuses).
func knownEmptyThenWritten(t *testing.T) (s *Bolt, rec *pushRecorder, path string, e Envelope) {
	t.Helper()
	s, rec, _, path = heldStore(t, time.Hour)
	pushAcked(t, s, rec, env("bob", "learn", time.Now().Add(time.Hour)))
	rec.refuse.Store(true)
	e = env("bob", "written", time.Now().Add(time.Hour))
	if r := <-appendAsync(s, e); r.res.Status != Stored {
		t.Fatalf("append: %v %v", r.res.Status, r.err)
	}
	return s, rec, path, e
}

// reopenHeld closes s and opens its file again as heldStore does, with a
// new push recorder (a restarted relay: nothing learned in memory).
func reopenHeld(t *testing.T, s *Bolt, path string) (*Bolt, *pushRecorder) {
	t.Helper()
	s.Close()
	rec := &pushRecorder{}
	s2, err := Open(path, Options{Push: rec.push, AckWait: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.Close() })
	return s2, rec
}

func TestKnownEmptyDuplicateAfterRestart(t *testing.T) {
	s, _, path, e := knownEmptyThenWritten(t)
	if res := ackSync(s, "bob", e.ID); !res.Removed {
		t.Fatal("ack removed nothing")
	}
	s2, rec2 := reopenHeld(t, s, path)
	wantDuplicate(t, s2, e, "re-send after restart")
	if n := len(rec2.pushed()); n != 0 {
		t.Fatalf("duplicate pushed %d times", n)
	}
}

func TestKnownEmptyForgottenOnWrite(t *testing.T) {
	s, rec, _, e := knownEmptyThenWritten(t)
	rec.refuse.Store(false)
	wantDuplicate(t, s, e, "re-send of a stored id")
	ackSync(s, "bob", e.ID)
	wantDuplicate(t, s, e, "re-send of an acked stored id")
	if n := len(rec.pushed()); n != 1 {
		t.Fatalf("pushed %d envelopes, want only the first", n)
	}
}

func TestKnownEmptyAckedIDStaysDuplicate(t *testing.T) {
	s, rec, _, _ := heldStore(t, time.Hour)
	pushAcked(t, s, rec, env("bob", "learn", time.Now().Add(time.Hour)))
	e := env("bob", "acked while held", time.Now().Add(time.Hour))
	pushAcked(t, s, rec, e)
	wantDuplicate(t, s, e, "re-send")
}

func TestKnownEmptyQuotaAfterWrite(t *testing.T) {
	rec := &pushRecorder{}
	s, _ := openTest(t, Options{Push: rec.push, AckWait: time.Hour, MailboxMaxMsgs: 2})
	mustCreate(t, s, "bob", 1, 0)
	pushAcked(t, s, rec, env("bob", "learn", time.Now().Add(time.Hour)))
	rec.refuse.Store(true)
	if r := <-appendAsync(s, env("bob", "written", time.Now().Add(time.Hour))); r.res.Status != Stored {
		t.Fatalf("append: %v %v", r.res.Status, r.err)
	}
	rec.refuse.Store(false)
	appendAsync(s, env("bob", "held", time.Now().Add(time.Hour)))
	waitPushed(t, rec, 2)
	if r := resend(t, s, env("bob", "third", time.Now().Add(time.Hour))); r.Status != MailboxFull {
		t.Fatalf("third envelope (one stored, one held): %v, want mailbox full", r.Status)
	}
}

func TestKnownEmptySeqContinuesAfterExpire(t *testing.T) {
	s, rec, _, path := heldStore(t, time.Hour)
	rec.refuse.Store(true)
	e := env("bob", "written", time.Now().Add(time.Hour))
	r := <-appendAsync(s, e)
	if r.res.Status != Stored {
		t.Fatalf("append: %v %v", r.res.Status, r.err)
	}
	ackSync(s, "bob", e.ID)
	if _, err := s.Expire(time.Now().Add(2 * time.Hour)); err != nil { // the tombstone goes: the mailbox is empty
		t.Fatal(err)
	}
	s2, rec2 := reopenHeld(t, s, path)
	// An Ack of an unknown id opens the mailbox: it is learned empty there,
	// so the next append takes its Seq from what was learned.
	if res := ackSync(s2, "bob", newID()); res.Removed {
		t.Fatal("ack of an unknown id removed something")
	}
	first := pushAcked(t, s2, rec2, env("bob", "known empty", time.Now().Add(time.Hour)))
	second := pushAcked(t, s2, rec2, env("bob", "next", time.Now().Add(time.Hour)))
	if first.Seq != r.res.Seq+1 || second.Seq != first.Seq+1 {
		t.Fatalf("Seqs %d then %d after the written %d", first.Seq, second.Seq, r.res.Seq)
	}
}

// storedAndAcked writes n envelopes to bob (pushes refused) and acks them:
// bob's mailbox then holds n tombstones and no envelope.
func storedAndAcked(t *testing.T, s *Bolt, rec *pushRecorder, n int) []Envelope {
	t.Helper()
	rec.refuse.Store(true)
	defer rec.refuse.Store(false)
	envs := make([]Envelope, n)
	chs := make([]chan appendReply, n)
	for i := range envs {
		envs[i] = env("bob", "written", time.Now().Add(time.Hour))
		chs[i] = appendAsync(s, envs[i])
	}
	for i, ch := range chs {
		if r := <-ch; r.res.Status != Stored {
			t.Fatalf("append %d: %v %v", i, r.res.Status, r.err)
		}
	}
	for _, e := range envs {
		if res := ackSync(s, "bob", e.ID); !res.Removed {
			t.Fatal("ack removed nothing")
		}
	}
	return envs
}

func TestKnownEmptyTombstoneStaysDuplicate(t *testing.T) {
	s, rec, _, _ := heldStore(t, time.Hour)
	e := storedAndAcked(t, s, rec, 1)[0]
	pushAcked(t, s, rec, env("bob", "learn", time.Now().Add(time.Hour)))
	before := s.round.txs.Load()
	pushAcked(t, s, rec, env("bob", "known empty", time.Now().Add(time.Hour)))
	if n := s.round.txs.Load() - before; n != 0 {
		t.Fatalf("append to a mailbox of tombstones opened %d transactions", n)
	}
	n := len(rec.pushed())
	wantDuplicate(t, s, e, "re-send of a tombstoned id")
	if res := ackSync(s, "bob", e.ID); res.Removed {
		t.Fatal("second ack of a tombstoned id removed something")
	}
	if len(rec.pushed()) != n {
		t.Fatal("tombstoned id pushed again")
	}
}

func TestKnownEmptyTooManyTombstones(t *testing.T) {
	s, rec, _, _ := heldStore(t, time.Hour)
	envs := storedAndAcked(t, s, rec, maxTombs+1)
	pushAcked(t, s, rec, env("bob", "not learned", time.Now().Add(time.Hour)))
	pushAcked(t, s, rec, env("bob", "looked up", time.Now().Add(time.Hour)))
	n := len(rec.pushed())
	for i, e := range envs {
		wantDuplicate(t, s, e, fmt.Sprintf("re-send %d of a tombstoned id", i))
	}
	if len(rec.pushed()) != n {
		t.Fatal("tombstoned id pushed again")
	}
}
