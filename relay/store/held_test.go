package store

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pushRecorder is an Options.Push that takes (or refuses) every envelope.
type pushRecorder struct {
	mu     sync.Mutex
	got    []Envelope
	refuse atomic.Bool
}

func (p *pushRecorder) push(e *Envelope) bool {
	if p.refuse.Load() {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, *e)
	return true
}

func (p *pushRecorder) pushed() []Envelope {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Envelope(nil), p.got...)
}

// heldStore opens a store that pushes to rec and counts commits.
func heldStore(t *testing.T, ackWait time.Duration) (*Bolt, *pushRecorder, *atomic.Int64, string) {
	t.Helper()
	rec := &pushRecorder{}
	commits := &atomic.Int64{}
	s, path := openTest(t, Options{Push: rec.push, AckWait: ackWait,
		OnCommit: func(time.Duration, int, error) { commits.Add(1) }})
	mustCreate(t, s, "bob", 1, 0)
	return s, rec, commits, path
}

type appendReply struct {
	res AppendResult
	err error
}

func appendAsync(s *Bolt, e Envelope) chan appendReply {
	ch := make(chan appendReply, 2)
	s.Append(e, nil, func(res AppendResult, err error) { ch <- appendReply{res, err} })
	return ch
}

func waitPushed(t *testing.T, rec *pushRecorder, n int) []Envelope {
	t.Helper()
	for range 500 {
		if got := rec.pushed(); len(got) >= n {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("fewer than %d envelopes pushed", n)
	return nil
}

func TestHeldAckCancelsWrite(t *testing.T) {
	s, rec, commits, _ := heldStore(t, time.Hour)
	e := env("bob", "held", time.Now().Add(time.Hour))
	ch := appendAsync(s, e)
	waitPushed(t, rec, 1)
	select {
	case r := <-ch:
		t.Fatalf("answered %v before the ack or a commit", r.res.Status)
	default:
	}
	if got := ackSync(s, "bob", e.ID); !got.Removed || got.Size != e.Size() {
		t.Fatalf("ack: %+v", got)
	}
	if r := <-ch; r.err != nil || r.res.Status != Acked {
		t.Fatalf("append: %v %v", r.res.Status, r.err)
	}
	if n := commits.Load(); n != 0 {
		t.Fatalf("%d commits", n)
	}
	if st := s.Stats(); st.Messages != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestHeldWrittenAfterAckWait(t *testing.T) {
	s, rec, commits, _ := heldStore(t, 10*time.Millisecond)
	e := env("bob", "slow recipient", time.Now().Add(time.Hour))
	r := <-appendAsync(s, e)
	if r.err != nil || r.res.Status != Stored || commits.Load() != 1 {
		t.Fatalf("append: %v %v after %d commits", r.res.Status, r.err, commits.Load())
	}
	pushed := waitPushed(t, rec, 1)
	got, err := s.Pending("bob", 0, time.Now(), 10)
	if err != nil || len(got) != 1 || got[0].ID != e.ID || got[0].Seq != pushed[0].Seq {
		t.Fatalf("pending %v %v (pushed Seq %d)", got, err, pushed[0].Seq)
	}
	if res := ackSync(s, "bob", e.ID); !res.Removed {
		t.Fatal("ack after the write did not remove")
	}
}

func TestHeldWrittenOnClose(t *testing.T) {
	s, rec, _, path := heldStore(t, time.Hour)
	e := env("bob", "closing", time.Now().Add(time.Hour))
	ch := appendAsync(s, e)
	waitPushed(t, rec, 1)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if r := <-ch; r.err != nil || r.res.Status != Stored {
		t.Fatalf("append: %v %v", r.res.Status, r.err)
	}
	s2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got, _ := s2.Pending("bob", 0, time.Now(), 10); len(got) != 1 || got[0].ID != e.ID {
		t.Fatalf("after reopen: %d pending", len(got))
	}
}

func TestHeldPushRefusedWritesAtOnce(t *testing.T) {
	s, rec, commits, _ := heldStore(t, time.Hour)
	rec.refuse.Store(true)
	r := <-appendAsync(s, env("bob", "offline", time.Now().Add(time.Hour)))
	if r.err != nil || r.res.Status != Stored || commits.Load() != 1 {
		t.Fatalf("append: %v %v, %d commits", r.res.Status, r.err, commits.Load())
	}
}

func TestHeldDuplicateWaitsForOriginal(t *testing.T) {
	s, rec, _, _ := heldStore(t, time.Hour)
	e := env("bob", "once", time.Now().Add(time.Hour))
	first, second := appendAsync(s, e), appendAsync(s, e)
	waitPushed(t, rec, 1)
	select {
	case r := <-second:
		t.Fatalf("duplicate answered %v while the original is held", r.res.Status)
	default:
	}
	ackSync(s, "bob", e.ID)
	if r := <-first; r.res.Status != Acked {
		t.Fatalf("original %v", r.res.Status)
	}
	if r := <-second; r.res.Status != Duplicate {
		t.Fatalf("duplicate %v", r.res.Status)
	}
	if r := <-appendAsync(s, e); r.res.Status != Duplicate {
		t.Fatalf("re-send after the ack: %v", r.res.Status)
	}
	if n := len(rec.pushed()); n != 1 {
		t.Fatalf("pushed %d times", n)
	}
}

func TestHeldAckedMemoryBounded(t *testing.T) {
	var h heldSet
	h.init(4, 100*time.Millisecond, 2*time.Second)
	var keys []heldKey
	for range 5 {
		k := heldKey{user: "a", id: newID()}
		keys = append(keys, k)
		h.remember(k)
	}
	if n := h.acked.len(); n > 4 {
		t.Fatalf("%d ids remembered, want at most 4", n)
	}
	if h.wasAcked(keys[0]) {
		t.Fatal("oldest id not forgotten")
	}
	if !h.wasAcked(keys[3]) || !h.wasAcked(keys[4]) {
		t.Fatal("recent ids forgotten")
	}
}

func TestHeldSeqOrderWithWrites(t *testing.T) {
	s, rec, _, _ := heldStore(t, 10*time.Millisecond)
	rec.refuse.Store(true)
	r1 := <-appendAsync(s, env("bob", "written", time.Now().Add(time.Hour)))
	rec.refuse.Store(false)
	ch := appendAsync(s, env("bob", "held", time.Now().Add(time.Hour)))
	pushed := waitPushed(t, rec, 1)
	if pushed[0].Seq <= r1.res.Seq {
		t.Fatalf("held Seq %d not after written Seq %d", pushed[0].Seq, r1.res.Seq)
	}
	<-ch
	got, _ := s.Pending("bob", 0, time.Now(), 10)
	if len(got) != 2 || got[0].Seq != r1.res.Seq || got[1].Seq != pushed[0].Seq {
		t.Fatalf("pending order %v", got)
	}
}

func TestHeldCountsAgainstQuota(t *testing.T) {
	rec := &pushRecorder{}
	s, _ := openTest(t, Options{Push: rec.push, AckWait: time.Hour, MailboxMaxMsgs: 2})
	mustCreate(t, s, "bob", 1, 0)
	for range 2 {
		appendAsync(s, env("bob", "held", time.Now().Add(time.Hour)))
	}
	waitPushed(t, rec, 2)
	if r := <-appendAsync(s, env("bob", "third", time.Now().Add(time.Hour))); r.res.Status != MailboxFull {
		t.Fatalf("third envelope: %v, want mailbox full", r.res.Status)
	}
}

// TestAckedFilterSharedBitsExact: ids whose filter bit is the same (equal
// first 8 bytes), or the same id for another recipient, are told apart by
// the map behind the filter.
func TestAckedFilterSharedBitsExact(t *testing.T) {
	var h heldSet
	h.init(1024, 100*time.Millisecond, 2*time.Second)
	k := heldKey{user: "a", id: newID()}
	twin := k
	twin.id[15] ^= 1
	h.remember(k)
	if !h.wasAcked(k) {
		t.Fatal("acked id not remembered")
	}
	if h.wasAcked(twin) {
		t.Fatal("an id sharing the filter bit reported as acked")
	}
	if h.wasAcked(heldKey{user: "b", id: k.id}) {
		t.Fatal("the same id for another recipient reported as acked")
	}
}

// TestAckedFilterRotation: ids of a dropped generation are forgotten, ids
// of both live generations are still found.
func TestAckedFilterRotation(t *testing.T) {
	var h heldSet
	h.init(64, 100*time.Millisecond, 2*time.Second)
	var keys []heldKey
	for range 96 { // three generations of 32
		k := heldKey{user: "a", id: newID()}
		keys = append(keys, k)
		h.remember(k)
	}
	for i, k := range keys {
		if got, want := h.wasAcked(k), i >= 32; got != want {
			t.Fatalf("id %d: wasAcked = %v, want %v", i, got, want)
		}
	}
}
