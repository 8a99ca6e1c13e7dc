package store

import (
	"bytes"
	"testing"
	"time"
)

// eagerAfterRounds reports whether an append made now encodes its record
// before it is queued. The Ack of an unknown id is a round of its own: when
// it is answered, the rounds before it have been noted.
func eagerAfterRounds(t *testing.T, s *Bolt) bool {
	t.Helper()
	ackSync(s, "bob", newID())
	e := env("bob", "probe", time.Now().Add(time.Hour))
	o := s.newAppendOp(e, nil, nil)
	if o.rec == nil {
		return false
	}
	want, err := encodeEnvelope(&e)
	if err != nil || o.recErr != nil || !bytes.Equal(o.rec, want) {
		t.Fatalf("record encoded in Append differs: %v %v", err, o.recErr)
	}
	return true
}

// TestEagerEncodeFollowsRounds: appends encode their records on the
// caller's goroutine only after a round that wrote more envelopes than it
// pushed (recipients offline), not on the online path where pushed
// envelopes are mostly never written.
func TestEagerEncodeFollowsRounds(t *testing.T) {
	s, rec, _, _ := heldStore(t, time.Hour)
	if eagerAfterRounds(t, s) {
		t.Fatal("encoding before any round")
	}
	pushAcked(t, s, rec, env("bob", "online", time.Now().Add(time.Hour)))
	if eagerAfterRounds(t, s) {
		t.Fatal("encoding after a pushed round")
	}
	rec.refuse.Store(true)
	e := env("bob", "offline", time.Now().Add(time.Hour))
	if r := <-appendAsync(s, e); r.res.Status != Stored {
		t.Fatalf("append: %v %v", r.res.Status, r.err)
	}
	if !eagerAfterRounds(t, s) {
		t.Fatal("not encoding after a written round")
	}
	rec.refuse.Store(false)
	pushAcked(t, s, rec, env("bob", "online again", time.Now().Add(time.Hour)))
	if eagerAfterRounds(t, s) {
		t.Fatal("still encoding after a pushed round")
	}
}

// TestEagerEncodedRecordWritten: a record encoded in Append is the one
// stored: Pending returns the envelope as sent.
func TestEagerEncodedRecordWritten(t *testing.T) {
	s, _ := openTest(t, Options{})
	mustCreate(t, s, "bob", 1, 0)
	mustStore(t, s, env("bob", "first", time.Now().Add(time.Hour)))
	if !eagerAfterRounds(t, s) {
		t.Fatal("not encoding after a written round")
	}
	e := env("bob", "encoded early", time.Now().Add(time.Hour))
	e.From = "carol"
	res := mustStore(t, s, e)
	got, err := s.Pending("bob", res.Seq-1, time.Now(), 1)
	if err != nil || len(got) != 1 || got[0].ID != e.ID || got[0].From != "carol" ||
		string(got[0].Body) != "encoded early" || got[0].ExpiresAt.UnixMilli() != e.ExpiresAt.UnixMilli() {
		t.Fatalf("pending: %+v %v", got, err)
	}
}
