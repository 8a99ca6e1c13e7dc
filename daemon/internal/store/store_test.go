package store

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func openTest(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db, path
}

func TestOpenFileMode(t *testing.T) {
	_, path := openTest(t)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestHistorySequencePerPeer(t *testing.T) {
	db, _ := openTest(t)
	err := db.Update(func(tx *Tx) error {
		for _, peer := range []string{"alice", "bob", "alice"} {
			m := &Message{ID: NewID(), Peer: peer, Kind: KindText, Text: "x", Status: Delivered}
			if err := tx.PutMessage(m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = db.View(func(tx *Tx) error {
		a, _ := tx.History("alice", 0, 10)
		b, _ := tx.History("bob", 0, 10)
		if len(a) != 2 || a[0].Seq != 1 || a[1].Seq != 2 || len(b) != 1 || b[0].Seq != 1 {
			t.Fatalf("alice %+v bob %+v", a, b)
		}
		after, _ := tx.History("alice", 1, 10)
		last, _ := tx.LastHistory("alice", 1)
		if len(after) != 1 || after[0].Seq != 2 || len(last) != 1 || last[0].Seq != 2 {
			t.Fatalf("after %+v last %+v", after, last)
		}
		return nil
	})
}

func TestOutboxOrderSurvivesReopen(t *testing.T) {
	db, path := openTest(t)
	var ids []ID
	err := db.Update(func(tx *Tx) error {
		for i := 0; i < 3; i++ {
			m := &Message{ID: NewID(), Peer: "bob", Kind: KindText, Status: Queued}
			ids = append(ids, m.ID)
			if err := tx.Enqueue(m); err != nil {
				return err
			}
		}
		m, _, _ := tx.Message(ids[1])
		return tx.Dequeue(&m)
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	db2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	_ = db2.View(func(tx *Tx) error {
		got := tx.Outbox(10)
		if len(got) != 2 || got[0] != ids[0] || got[1] != ids[2] {
			t.Fatalf("outbox %v, want [%v %v]", got, ids[0], ids[2])
		}
		if tx.InOutbox(ids[1]) {
			t.Fatal("dequeued id still in outbox")
		}
		return nil
	})
}

func TestDequeueReceiptDeletes(t *testing.T) {
	db, _ := openTest(t)
	m := &Message{ID: NewID(), Peer: "bob", Kind: KindReceipt, Status: Queued}
	_ = db.Update(func(tx *Tx) error { return tx.Enqueue(m) })
	_ = db.Update(func(tx *Tx) error { return tx.Dequeue(m) })
	_ = db.View(func(tx *Tx) error {
		if _, ok, _ := tx.Message(m.ID); ok {
			t.Fatal("receipt record kept after dequeue")
		}
		return nil
	})
}

func TestEventCursorAndRetention(t *testing.T) {
	db, _ := openTest(t)
	db.EventRetention = 3
	for i := 0; i < 5; i++ {
		err := db.Update(func(tx *Tx) error {
			_, err := tx.AppendEvent([]byte(`{}`))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	_ = db.View(func(tx *Tx) error {
		ev := tx.EventsSince(0, 10)
		if len(ev) != 3 || ev[0].Cursor != 3 || ev[2].Cursor != 5 {
			t.Fatalf("events %+v", ev)
		}
		if tx.FirstCursor() != 3 || tx.LastCursor() != 5 {
			t.Fatalf("first %d last %d", tx.FirstCursor(), tx.LastCursor())
		}
		if ev := tx.EventsSince(4, 10); len(ev) != 1 || ev[0].Cursor != 5 {
			t.Fatalf("since 4: %+v", ev)
		}
		return nil
	})
}

func TestEventRolledBackCursorReused(t *testing.T) {
	db, _ := openTest(t)
	_ = db.Update(func(tx *Tx) error {
		_, _ = tx.AppendEvent([]byte(`{}`))
		return os.ErrInvalid // roll back
	})
	var cur uint64
	_ = db.Update(func(tx *Tx) (err error) { cur, err = tx.AppendEvent([]byte(`{}`)); return })
	if cur != 1 {
		t.Fatalf("cursor %d after a rolled-back append, want 1 (contiguous log)", cur)
	}
}

func TestSeenPrune(t *testing.T) {
	db, _ := openTest(t)
	old, fresh := NewID(), NewID()
	now := time.Now()
	_ = db.Update(func(tx *Tx) error {
		_ = tx.MarkSeen(old, now.Add(-48*time.Hour))
		return tx.MarkSeen(fresh, now)
	})
	_ = db.Update(func(tx *Tx) error {
		n, err := tx.PruneSeen(now.Add(-time.Hour))
		if n != 1 || err != nil {
			t.Fatalf("pruned %d, %v", n, err)
		}
		return nil
	})
	_ = db.View(func(tx *Tx) error {
		if tx.Seen(old) || !tx.Seen(fresh) {
			t.Fatal("prune removed the wrong id")
		}
		return nil
	})
}

func TestContactKeyHistoryBounded(t *testing.T) {
	var c Contact
	for i := 0; i < MaxKeyHistory+5; i++ {
		c.AddKeyChange(KeyChange{Seen: "bundle"})
	}
	if len(c.KeyHistory) != MaxKeyHistory {
		t.Fatalf("history %d", len(c.KeyHistory))
	}
}

func TestShouldHoldPolicy(t *testing.T) {
	cases := []struct {
		trust Trust
		hold  HoldPolicy
		want  bool
	}{
		{Verified, HoldDefault, true}, {Unverified, HoldDefault, false},
		{Unverified, HoldAlways, true}, {Verified, HoldNever, false},
	}
	for _, c := range cases {
		ct := Contact{Trust: c.trust, Hold: c.hold, KeyChanged: true}
		if ct.ShouldHold() != c.want {
			t.Errorf("trust %s hold %q: got %v", c.trust, c.hold, !c.want)
		}
	}
	if (&Contact{Trust: Verified}).ShouldHold() {
		t.Error("held without a key change")
	}
}

func TestParseIDRejectsBadInput(t *testing.T) {
	if _, err := ParseID("zz"); err == nil {
		t.Fatal("short id accepted")
	}
	id := NewID()
	got, err := ParseID(id.String())
	if err != nil || got != id {
		t.Fatalf("round trip %v %v", got, err)
	}
}
