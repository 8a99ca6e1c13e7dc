package store

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/securep2p/securep2p/wire"
)

func openTest(t testing.TB, opts Options) (*Bolt, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "relay.db")
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func key(b byte) []byte {
	k := make([]byte, wire.KeySize)
	k[0] = 0x02
	k[1] = b
	return k
}

func spk(b byte) wire.SignedPrekey {
	return wire.SignedPrekey{ID: uint32(b), Key: key(b), Signature: make([]byte, wire.SigSize)}
}

func prekeys(n int) []wire.Prekey {
	out := make([]wire.Prekey, n)
	for i := range out {
		out[i] = wire.Prekey{ID: uint32(i + 1), Key: key(byte(i))}
	}
	return out
}

func mustCreate(t testing.TB, s *Bolt, name string, ik byte, opks int) {
	t.Helper()
	a := Account{Username: name, PasswordHash: []byte("hash"), IdentityKey: key(ik), SignedPrekey: spk(ik), CreatedAt: time.Now()}
	if err := s.CreateAccount(a, prekeys(opks)); err != nil {
		t.Fatal(err)
	}
}

func newID() ID {
	var id ID
	rand.Read(id[:])
	return id
}

// appendSync appends and waits for the commit.
func appendSync(s *Bolt, e Envelope, want []byte) (AppendResult, error) {
	return wait(func(done func(AppendResult, error)) { s.Append(e, want, done) })
}

// wait runs start and waits for the result it reports to done.
func wait[T any](start func(done func(T, error))) (T, error) {
	type r struct {
		res T
		err error
	}
	ch := make(chan r, 1)
	start(func(res T, err error) { ch <- r{res, err} })
	out := <-ch
	return out.res, out.err
}

func ackSync(s *Bolt, user string, id ID) AckResult {
	res, _ := ackErr(s, user, id)
	return res
}

// ackErr acks and waits for the result and its error.
func ackErr(s *Bolt, user string, id ID) (AckResult, error) {
	return wait(func(done func(AckResult, error)) { s.Ack(user, id, done) })
}

func env(to string, body string, exp time.Time) Envelope {
	return Envelope{ID: newID(), To: to, From: "alice", Body: []byte(body), SentAt: time.Now(), ExpiresAt: exp}
}

func TestAccountRoundTrip(t *testing.T) {
	s, _ := openTest(t, Options{})
	mustCreate(t, s, "bob", 1, 3)
	a, err := s.Account("bob")
	if err != nil || !bytes.Equal(a.IdentityKey, key(1)) || string(a.PasswordHash) != "hash" {
		t.Fatalf("account = %+v, %v", a, err)
	}
	if _, err := s.Account("nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown account: %v", err)
	}
}

func TestCreateAccountExists(t *testing.T) {
	s, _ := openTest(t, Options{})
	mustCreate(t, s, "bob", 1, 0)
	err := s.CreateAccount(Account{Username: "bob", PasswordHash: []byte("x"), IdentityKey: key(2), SignedPrekey: spk(2)}, nil)
	if !errors.Is(err, ErrExists) {
		t.Fatalf("got %v, want ErrExists", err)
	}
}

func TestTakeBundleConsumesOne(t *testing.T) {
	s, _ := openTest(t, Options{})
	mustCreate(t, s, "bob", 1, 2)
	for i, wantID := range []uint32{1, 2} {
		b, err := s.TakeBundle("bob")
		if err != nil || b.OneTime == nil || b.OneTime.ID != wantID || b.Remaining != 1-i {
			t.Fatalf("fetch %d: %+v %v", i, b, err)
		}
	}
	b, err := s.TakeBundle("bob")
	if err != nil || b.OneTime != nil || !bytes.Equal(b.IdentityKey, key(1)) {
		t.Fatalf("empty pool: %+v %v", b, err)
	}
}

func TestTakeBundleConcurrentDistinct(t *testing.T) {
	s, _ := openTest(t, Options{})
	mustCreate(t, s, "bob", 1, 50)
	var mu sync.Mutex
	seen := map[uint32]bool{}
	var wg sync.WaitGroup
	for range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := s.TakeBundle("bob")
			if err != nil {
				t.Error(err)
				return
			}
			if b.OneTime == nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if seen[b.OneTime.ID] {
				t.Errorf("prekey %d handed out twice", b.OneTime.ID)
			}
			seen[b.OneTime.ID] = true
		}()
	}
	wg.Wait()
	if len(seen) != 50 {
		t.Fatalf("%d distinct prekeys, want 50", len(seen))
	}
}

func TestUpdateKeysIdentityChangeDropsPrekeys(t *testing.T) {
	s, _ := openTest(t, Options{})
	mustCreate(t, s, "bob", 1, 5)
	sp := spk(9)
	n, err := s.UpdateKeys("bob", KeyUpdate{IdentityKey: key(9), SignedPrekey: &sp, OneTime: prekeys(2)})
	if err != nil || n != 2 {
		t.Fatalf("remaining %d, %v", n, err)
	}
	a, _ := s.Account("bob")
	if !bytes.Equal(a.IdentityKey, key(9)) || a.SignedPrekey.ID != 9 {
		t.Fatalf("account not rebound: %+v", a)
	}
}

func TestUpdateKeysPoolCap(t *testing.T) {
	s, _ := openTest(t, Options{MaxPrekeys: 3})
	mustCreate(t, s, "bob", 1, 2)
	more := []wire.Prekey{{ID: 10, Key: key(10)}, {ID: 11, Key: key(11)}}
	if _, err := s.UpdateKeys("bob", KeyUpdate{OneTime: more}); !errors.Is(err, ErrTooManyPrekeys) {
		t.Fatalf("got %v", err)
	}
	if n, _ := s.PrekeyCount("bob"); n != 2 {
		t.Fatalf("count %d after refused upload, want 2", n)
	}
}

func TestAppendPendingAckOrder(t *testing.T) {
	s, _ := openTest(t, Options{})
	mustCreate(t, s, "bob", 1, 0)
	exp := time.Now().Add(time.Hour)
	var ids []ID
	for i := range 5 {
		e := env("bob", string(rune('a'+i)), exp)
		ids = append(ids, e.ID)
		if res, err := appendSync(s, e, key(1)); err != nil || res.Status != Stored {
			t.Fatalf("append: %v %v", res, err)
		}
	}
	got, err := s.Pending("bob", 0, time.Now(), 100)
	if err != nil || len(got) != 5 {
		t.Fatalf("pending %d %v", len(got), err)
	}
	for i, e := range got {
		if e.ID != ids[i] || string(e.Body) != string(rune('a'+i)) {
			t.Fatalf("envelope %d out of order", i)
		}
	}
	if r := ackSync(s, "bob", ids[0]); !r.Removed {
		t.Fatal("ack did not remove")
	}
	if st := s.Stats(); st.Messages != 4 || st.Bytes != 4 {
		t.Fatalf("stats %+v", st)
	}
	got, _ = s.Pending("bob", got[0].Seq, time.Now(), 2)
	if len(got) != 2 || got[0].ID != ids[1] {
		t.Fatalf("pending after seq: %d", len(got))
	}
}

func TestAppendDuplicateAfterAck(t *testing.T) {
	s, _ := openTest(t, Options{})
	mustCreate(t, s, "bob", 1, 0)
	e := env("bob", "x", time.Now().Add(time.Hour))
	appendSync(s, e, nil)
	if res, _ := appendSync(s, e, nil); res.Status != Duplicate {
		t.Fatalf("second append: %v", res.Status)
	}
	ackSync(s, "bob", e.ID)
	if res, _ := appendSync(s, e, nil); res.Status != Duplicate {
		t.Fatalf("append after ack: %v", res.Status)
	}
	if got, _ := s.Pending("bob", 0, time.Now(), 10); len(got) != 0 {
		t.Fatal("acked envelope stored again")
	}
}

func TestAppendUnknownUser(t *testing.T) {
	s, _ := openTest(t, Options{})
	if res, err := appendSync(s, env("ghost", "x", time.Time{}), nil); err != nil || res.Status != UnknownUser {
		t.Fatalf("%v %v", res.Status, err)
	}
}

func TestAppendKeyChanged(t *testing.T) {
	s, _ := openTest(t, Options{})
	mustCreate(t, s, "bob", 1, 0)
	if res, _ := appendSync(s, env("bob", "x", time.Time{}), key(2)); res.Status != KeyChanged {
		t.Fatalf("got %v", res.Status)
	}
}

func TestAppendQuotaCount(t *testing.T) {
	s, _ := openTest(t, Options{MailboxMaxMsgs: 2})
	mustCreate(t, s, "bob", 1, 0)
	for i, want := range []AppendStatus{Stored, Stored, MailboxFull} {
		if res, _ := appendSync(s, env("bob", "x", time.Time{}), nil); res.Status != want {
			t.Fatalf("append %d: %v want %v", i, res.Status, want)
		}
	}
}

func TestAppendQuotaBytes(t *testing.T) {
	s, _ := openTest(t, Options{MailboxMaxBytes: 10})
	mustCreate(t, s, "bob", 1, 0)
	if res, _ := appendSync(s, env("bob", "123456", time.Time{}), nil); res.Status != Stored {
		t.Fatal(res.Status)
	}
	if res, _ := appendSync(s, env("bob", "123456", time.Time{}), nil); res.Status != MailboxFull {
		t.Fatal(res.Status)
	}
}

func TestExpire(t *testing.T) {
	s, _ := openTest(t, Options{})
	mustCreate(t, s, "bob", 1, 0)
	t0 := time.Now()
	old := env("bob", "old", t0.Add(time.Minute))
	appendSync(s, old, nil)
	appendSync(s, env("bob", "new", t0.Add(time.Hour)), nil)
	later := t0.Add(2 * time.Minute)
	if got, _ := s.Pending("bob", 0, later, 10); len(got) != 1 || string(got[0].Body) != "new" {
		t.Fatalf("pending skips expired: %d", len(got))
	}
	res, err := s.Expire(later)
	if err != nil || res.Envelopes != 1 || res.Bytes != 3 {
		t.Fatalf("expire %+v %v", res, err)
	}
	if st := s.Stats(); st.Messages != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestReopenKeepsMailAndStats(t *testing.T) {
	s, path := openTest(t, Options{})
	mustCreate(t, s, "bob", 1, 0)
	e := env("bob", "durable", time.Time{})
	appendSync(s, e, nil)
	s.Close()
	s2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got, _ := s2.Pending("bob", 0, time.Now(), 10)
	if len(got) != 1 || got[0].ID != e.ID || s2.Stats().Messages != 1 {
		t.Fatalf("after reopen: %d envelopes, stats %+v", len(got), s2.Stats())
	}
}

func TestAppendAfterCloseFails(t *testing.T) {
	s, _ := openTest(t, Options{})
	s.Close()
	if _, err := appendSync(s, env("bob", "x", time.Time{}), nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("got %v", err)
	}
}

func FuzzDecodeEnvelope(f *testing.F) {
	b, _ := encode(envelopeRec{ID: make([]byte, 16), From: "alice", Body: []byte("x"), SentAt: 1, ExpiresAt: 2})
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeEnvelope(b)
		if err != nil {
			return
		}
		again, err := encode(r)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("decoded record does not re-encode to its input")
		}
	})
}

func FuzzDecodeAccount(f *testing.F) {
	b, _ := encode(accountRec{PasswordHash: []byte("h"), IdentityKey: key(1), SignedPrekey: spk(1), CreatedAt: 5})
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeAccount(b)
		if err != nil {
			return
		}
		again, err := encode(r)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("decoded record does not re-encode to its input")
		}
	})
}

func FuzzDecodeIndexMeta(f *testing.F) {
	b, _ := encode(indexRec{Seq: 3, Until: 9})
	f.Add(b)
	m, _ := encode(metaRec{Count: 1, Bytes: 2})
	f.Add(m)
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeIndex(b)
		decodeMeta(b)
	})
}

// It also reports commit-µs/op: the commit goroutine's time per append
// (group-commit rounds from start to fsynced, as Options.OnCommit sees
// them), the serial part of the store.
func BenchmarkMailboxAppend(b *testing.B) {
	var commitNS atomic.Int64
	s, _ := openTest(b, Options{MailboxMaxMsgs: 1 << 30, MailboxMaxBytes: 1 << 40,
		OnCommit: func(d time.Duration, _ int, _ error) { commitNS.Add(int64(d)) }})
	mustCreate(b, s, "bob", 1, 0)
	defer func() { b.ReportMetric(float64(commitNS.Load())/1e3/float64(b.N), "commit-µs/op") }()
	body := make([]byte, 200)
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		wg.Add(1)
		e := Envelope{ID: newID(), To: "bob", From: "alice", Body: body, SentAt: time.Now()}
		s.Append(e, nil, func(AppendResult, error) { wg.Done() })
	}
	wg.Wait()
	b.StopTimer()
}

// BenchmarkMailboxAck: b.N envelopes are appended to one mailbox (not
// timed), then acked in submission order (timed), as a recipient draining
// its mailbox.
func BenchmarkMailboxAck(b *testing.B) {
	s, _ := openTest(b, Options{MailboxMaxMsgs: 1 << 30, MailboxMaxBytes: 1 << 40})
	mustCreate(b, s, "bob", 1, 0)
	body := make([]byte, 200)
	ids := make([]ID, b.N)
	var wg sync.WaitGroup
	for i := range ids {
		ids[i] = newID()
		wg.Add(1)
		e := Envelope{ID: ids[i], To: "bob", From: "alice", Body: body, SentAt: time.Now()}
		s.Append(e, nil, func(AppendResult, error) { wg.Done() })
	}
	wg.Wait()
	var removed atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	for _, id := range ids {
		wg.Add(1)
		s.Ack("bob", id, func(r AckResult, _ error) {
			if r.Removed {
				removed.Add(1)
			}
			wg.Done()
		})
	}
	wg.Wait()
	b.StopTimer()
	if removed.Load() != int64(b.N) {
		b.Fatalf("removed %d of %d", removed.Load(), b.N)
	}
}

// TestAckIndexWithoutSize: an index entry written before entries carried
// the body size and send time is still acked correctly.
func TestAckIndexWithoutSize(t *testing.T) {
	s, _ := openTest(t, Options{})
	mustCreate(t, s, "bob", 1, 0)
	e := env("bob", "old format", time.Now().Add(time.Hour))
	res, err := appendSync(s, e, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		old, err := encode(indexRec{Seq: res.Seq, Until: Millis(e.ExpiresAt)})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketMail).Bucket([]byte("bob")).Bucket(bucketRecent).Put(e.ID[:], old)
	})
	if err != nil {
		t.Fatal(err)
	}
	got := ackSync(s, "bob", e.ID)
	if !got.Removed || got.Size != e.Size() || got.SentAt.UnixMilli() != e.SentAt.UnixMilli() {
		t.Fatalf("ack: %+v", got)
	}
	if st := s.Stats(); st.Messages != 0 || st.Bytes != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// BenchmarkAppendPushed: the online path in the store alone. Every
// envelope is pushed to a connected recipient whose Ack (from another
// goroutine, as a session's reader) cancels its write: nothing is written.
// window bounds the appends awaiting their answer (1: every round holds
// one append, so the per-round costs show).
func BenchmarkAppendPushed(b *testing.B) {
	for _, window := range []int{1, 16, 1024} {
		b.Run(fmt.Sprintf("window=%d", window), func(b *testing.B) { benchPushed(b, window, false) })
	}
	// The recipient's mailbox holds a tombstone (an envelope written while
	// it was offline, then acked).
	b.Run("window=1/tombstone", func(b *testing.B) { benchPushed(b, 1, true) })
}

func benchPushed(b *testing.B, window int, tombstone bool) {
	acks := make(chan ID, 1<<16)
	var online atomic.Bool
	s, _ := openTest(b, Options{MailboxMaxMsgs: 1 << 30, MailboxMaxBytes: 1 << 40, AckWait: time.Hour,
		Push: func(e *Envelope) bool {
			if !online.Load() {
				return false
			}
			acks <- e.ID
			return true
		}})
	mustCreate(b, s, "bob", 1, 0)
	if tombstone {
		e := env("bob", "offline", time.Now().Add(time.Hour))
		appendSync(s, e, nil)
		ackSync(s, "bob", e.ID)
	}
	online.Store(true)
	go func() {
		for id := range acks {
			s.Ack("bob", id, nil)
		}
	}()
	body := make([]byte, 200)
	want := key(1)
	sem := make(chan struct{}, window)
	done := func(res AppendResult, err error) {
		if res.Status != Acked {
			b.Errorf("append: %v %v", res.Status, err)
		}
		<-sem
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		sem <- struct{}{}
		e := Envelope{ID: newID(), To: "bob", From: "alice", Body: body, SentAt: time.Now()}
		s.Append(e, want, done)
	}
	for range window {
		sem <- struct{}{}
	}
	b.StopTimer()
	close(acks)
}
