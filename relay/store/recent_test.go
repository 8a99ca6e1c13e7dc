package store

import (
	"bytes"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Tests of the two-level id index (recent.go) and of the live index
// entries that carry their Seq only. Stores here merge after a few
// entries (recentMax is set before the first append).

func smallRecentStore(t *testing.T, max uint64) (*Bolt, string) {
	t.Helper()
	s, path := openTest(t, Options{})
	s.recentMax = max
	mustCreate(t, s, "bob", 1, 0)
	return s, path
}

// indexEntry returns id's raw entry in bob's index bucket name (nil when
// absent) and the number of entries in it.
func indexEntry(t *testing.T, s *Bolt, name []byte, id ID) (entry []byte, n int) {
	t.Helper()
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMail).Bucket([]byte("bob")).Bucket(name)
		if b == nil {
			return nil
		}
		entry = append([]byte(nil), b.Get(id[:])...)
		if len(entry) == 0 {
			entry = nil
		}
		n = countKeys(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return entry, n
}

func mustStore(t *testing.T, s *Bolt, e Envelope) AppendResult {
	t.Helper()
	res, err := appendSync(s, e, nil)
	if err != nil || res.Status != Stored {
		t.Fatalf("append: %v %v", res.Status, err)
	}
	return res
}

func appendN(t *testing.T, s *Bolt, n int, exp time.Time) []Envelope {
	t.Helper()
	var envs []Envelope
	for range n {
		e := env("bob", "body", exp)
		mustStore(t, s, e)
		envs = append(envs, e)
	}
	return envs
}

// TestRecentIndexMerged: once the recent index has taken recentMax
// entries, they move to the main index; ids in either stay duplicates and
// ackable.
func TestRecentIndexMerged(t *testing.T) {
	s, _ := smallRecentStore(t, 4)
	envs := appendN(t, s, 10, time.Now().Add(time.Hour))
	if _, n := indexEntry(t, s, bucketIndex, ID{}); n != 8 {
		t.Fatalf("main index holds %d entries, want 8 (two merges)", n)
	}
	if _, n := indexEntry(t, s, bucketRecent, ID{}); n != 2 {
		t.Fatalf("recent index holds %d entries, want 2", n)
	}
	for _, e := range envs {
		wantDuplicate(t, s, e, "re-send")
	}
	for _, e := range envs {
		if r := ackSync(s, "bob", e.ID); !r.Removed || r.Size != e.Size() {
			t.Fatalf("ack: %+v", r)
		}
		wantDuplicate(t, s, e, "re-send after ack")
	}
	if st := s.Stats(); st.Messages != 0 || st.Bytes != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestAckShadowsMainIndex: the Ack of an envelope whose entry was merged
// writes its tombstone in the recent index, which hides the live entry
// left in the main index.
func TestAckShadowsMainIndex(t *testing.T) {
	s, _ := smallRecentStore(t, 4)
	e := appendN(t, s, 4, time.Now().Add(time.Hour))[0]
	if r := ackSync(s, "bob", e.ID); !r.Removed {
		t.Fatal("ack removed nothing")
	}
	tomb, _ := indexEntry(t, s, bucketRecent, e.ID)
	live, _ := indexEntry(t, s, bucketIndex, e.ID)
	if tomb == nil || live == nil {
		t.Fatalf("tombstone %x, shadowed entry %x: want both", tomb, live)
	}
	wantDuplicate(t, s, e, "re-send after ack")
	if r, err := ackErr(s, "bob", e.ID); r.Removed || err != nil {
		t.Fatalf("second ack: %+v %v, want nothing removed, no error", r, err)
	}
	if st := s.Stats(); st.Messages != 3 {
		t.Fatalf("stats %+v", st)
	}
}

// TestExpireShadowedEntry: an expired tombstone of the recent index takes
// the live entry it shadows with it; the id is then new again.
func TestExpireShadowedEntry(t *testing.T) {
	s, _ := smallRecentStore(t, 4)
	exp := time.Now().Add(time.Hour)
	e := appendN(t, s, 4, exp)[0]
	ackSync(s, "bob", e.ID)
	if _, err := s.Expire(exp.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if live, _ := indexEntry(t, s, bucketIndex, e.ID); live != nil {
		t.Fatalf("shadowed entry %x left after its tombstone expired", live)
	}
	if tomb, _ := indexEntry(t, s, bucketRecent, e.ID); tomb != nil {
		t.Fatal("expired tombstone left")
	}
	mustStore(t, s, e)
	if r := ackSync(s, "bob", e.ID); !r.Removed {
		t.Fatal("ack of the re-stored id removed nothing")
	}
}

// TestKnownEmptyMergedTombstones: tombstones merged into the main index
// are listed when an empty mailbox is learned, so they stay duplicates.
func TestKnownEmptyMergedTombstones(t *testing.T) {
	s, path := smallRecentStore(t, 2)
	envs := appendN(t, s, 2, time.Now().Add(time.Hour))
	for _, e := range envs {
		ackSync(s, "bob", e.ID)
	}
	if _, n := indexEntry(t, s, bucketRecent, ID{}); n != 0 {
		t.Fatalf("recent index holds %d entries, want 0 (merged)", n)
	}
	s.Close()
	s2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	for _, e := range envs {
		wantDuplicate(t, s2, e, "re-send of a merged tombstone")
	}
}

// TestLiveIndexEntryHoldsSeqOnly: a new live entry is its Seq alone; the
// Ack still reports the envelope's size and send time (from its record).
func TestLiveIndexEntryHoldsSeqOnly(t *testing.T) {
	s, _ := smallRecentStore(t, recentMax)
	e := env("bob", "twelve bytes", time.Now().Add(time.Hour))
	res := mustStore(t, s, e)
	raw, _ := indexEntry(t, s, bucketRecent, e.ID)
	idx, err := decodeIndex(raw)
	if err != nil || idx != (indexRec{Seq: res.Seq}) {
		t.Fatalf("index entry %+v %v, want Seq %d only", idx, err, res.Seq)
	}
	r := ackSync(s, "bob", e.ID)
	if !r.Removed || r.Size != 12 || r.SentAt.UnixMilli() != e.SentAt.UnixMilli() {
		t.Fatalf("ack: %+v", r)
	}
	tomb, _ := indexEntry(t, s, bucketRecent, e.ID)
	if idx, err := decodeIndex(tomb); err != nil || idx != (indexRec{Until: Millis(e.ExpiresAt)}) {
		t.Fatalf("tombstone %+v %v", idx, err)
	}
}

// writeOldMailbox writes bob's mailbox as the version before the recent
// index wrote it: envelopes 1..len(envs) in m, live entries with Seq,
// Until, Size and SentAt in i, the tombstone of acked, no j bucket.
func writeOldMailbox(t *testing.T, s *Bolt, envs []Envelope, acked Envelope) {
	t.Helper()
	err := s.db.Update(func(tx *bolt.Tx) error {
		box, err := tx.Bucket(bucketMail).CreateBucket([]byte("bob"))
		if err != nil {
			return err
		}
		msgs, _ := box.CreateBucket(bucketMsgs)
		index, _ := box.CreateBucket(bucketIndex)
		var meta metaRec
		for i, e := range envs {
			seq := uint64(i + 1)
			rec, _ := encode(envelopeRec{ID: e.ID[:], From: e.From, Body: e.Body,
				SentAt: Millis(e.SentAt), ExpiresAt: Millis(e.ExpiresAt)})
			idx, _ := encode(indexRec{Seq: seq, Until: Millis(e.ExpiresAt), Size: e.Size(), SentAt: Millis(e.SentAt)})
			if err := msgs.Put(u64key(seq), rec); err != nil {
				return err
			}
			if err := index.Put(e.ID[:], idx); err != nil {
				return err
			}
			meta = metaRec{Count: meta.Count + 1, Bytes: meta.Bytes + e.Size()}
		}
		tomb, _ := encode(indexRec{Until: Millis(acked.ExpiresAt)})
		if err := index.Put(acked.ID[:], tomb); err != nil {
			return err
		}
		if err := msgs.SetSequence(uint64(len(envs) + 1)); err != nil {
			return err
		}
		return putMeta(box, meta)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestOldFormatMailboxReadable: a mailbox written by the previous version
// (full live entries, one index bucket) is read after an upgrade in place:
// pending envelopes, duplicates, tombstones, Acks and new appends.
func TestOldFormatMailboxReadable(t *testing.T) {
	s, path := openTest(t, Options{})
	mustCreate(t, s, "bob", 1, 0)
	exp := time.Now().Add(time.Hour)
	envs := []Envelope{env("bob", "one", exp), env("bob", "two", exp), env("bob", "three", exp)}
	acked := env("bob", "acked", exp)
	writeOldMailbox(t, s, envs, acked)
	s.Close()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if st := s.Stats(); st.Messages != 3 || st.Bytes != 11 {
		t.Fatalf("stats after reopen %+v", st)
	}
	if got, err := s.Pending("bob", 0, time.Now(), 10); err != nil || len(got) != 3 || got[2].ID != envs[2].ID {
		t.Fatalf("pending: %d %v", len(got), err)
	}
	wantDuplicate(t, s, envs[0], "re-send of an old live entry")
	wantDuplicate(t, s, acked, "re-send of an old tombstone")
	if r, err := ackErr(s, "bob", envs[1].ID); err != nil || !r.Removed || r.Size != 3 ||
		r.SentAt.UnixMilli() != envs[1].SentAt.UnixMilli() {
		t.Fatalf("ack of an old entry: %+v %v", r, err)
	}
	wantDuplicate(t, s, envs[1], "re-send after ack of an old entry")
	e := env("bob", "new", exp)
	if res := mustStore(t, s, e); res.Seq != 5 {
		t.Fatalf("new envelope Seq %d, want 5", res.Seq)
	}
	if r, err := ackErr(s, "bob", e.ID); err != nil || !r.Removed || r.Size != 3 {
		t.Fatalf("ack of a new entry: %+v %v", r, err)
	}
	if res, err := s.Expire(exp.Add(time.Minute)); err != nil || res.Envelopes != 2 {
		t.Fatalf("expire: %+v %v", res, err)
	}
	if _, n := indexEntry(t, s, bucketIndex, ID{}); n != 0 {
		t.Fatalf("main index holds %d entries after expiry", n)
	}
}

// TestLiveIndexEncoding: the hand-built live entry is byte for byte the
// project's CBOR encoding of indexRec{Seq} and decodes strictly.
func TestLiveIndexEncoding(t *testing.T) {
	for _, seq := range []uint64{0, 1, 23, 24, 255, 256, 65535, 65536, 1<<32 - 1, 1 << 32, 1<<64 - 1} {
		want, err := encode(indexRec{Seq: seq})
		if err != nil {
			t.Fatal(err)
		}
		got := liveIndex(seq)
		if !bytes.Equal(got, want) {
			t.Fatalf("seq %d: %x, want %x", seq, got, want)
		}
		if idx, err := decodeIndex(got); err != nil || idx != (indexRec{Seq: seq}) {
			t.Fatalf("seq %d decodes to %+v %v", seq, idx, err)
		}
	}
}

// TestAckEntryWithoutRecord: a live index entry whose envelope record is
// gone (as a relay older than the recent index, run on this file, leaves
// when it expires an envelope) makes its Ack remove nothing, without an
// error: the round it is in, with other users' appends, still commits.
// The id stays a Duplicate.
func TestAckEntryWithoutRecord(t *testing.T) {
	s, _ := openTest(t, Options{})
	mustCreate(t, s, "bob", 1, 0)
	mustCreate(t, s, "carol", 2, 0)
	e := env("bob", "expired by an older relay", time.Now().Add(time.Hour))
	res, err := appendSync(s, e, nil)
	if err != nil || res.Status != Stored {
		t.Fatalf("append: %v %v", res.Status, err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMail).Bucket([]byte("bob")).Bucket(bucketMsgs).Delete(u64key(res.Seq))
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ackErr(s, "bob", e.ID)
	if err != nil || got.Removed {
		t.Fatalf("ack: %+v %v, want nothing removed and no error", got, err)
	}
	if r, err := appendSync(s, env("carol", "unaffected", time.Now().Add(time.Hour)), nil); err != nil || r.Status != Stored {
		t.Fatalf("append after: %v %v", r.Status, err)
	}
	if r, _ := appendSync(s, e, nil); r.Status != Duplicate {
		t.Fatalf("re-send: %v, want Duplicate", r.Status)
	}
}
