package relay

import (
	"bytes"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/securep2p/securep2p/metrics"
	"github.com/securep2p/securep2p/relay/relaytest/hopclient"
	"github.com/securep2p/securep2p/wire"
)

func TestRegisterLoginResume(t *testing.T) {
	r := startRelay(t, Config{})
	alice := hopclient.NewUser(t, "Alice", 3)
	c := dial(t, r)
	w := hopclient.MustWelcome(t, c.Register(alice))
	if w.Username != "alice" || w.Remaining != 3 || w.KeyChanged {
		t.Fatalf("register welcome %+v", w)
	}
	alice.Name = "alice"
	c2 := dial(t, r)
	if w := hopclient.MustWelcome(t, c2.Login(alice)); w.KeyChanged || w.Remaining != 3 {
		t.Fatalf("login welcome %+v", w)
	}
	c3 := dial(t, r)
	if w := hopclient.MustWelcome(t, c3.Resume(alice)); w.Username != "alice" {
		t.Fatalf("resume welcome %+v", w)
	}
}

func TestRegisterTaken(t *testing.T) {
	r := startRelay(t, Config{})
	alice := hopclient.NewUser(t, "alice", 0)
	connectAs(t, r, alice, true)
	hopclient.MustCode(t, dial(t, r).Register(hopclient.NewUser(t, "ALICE", 0)), wire.CodeUserExists)
}

func TestRegisterShortPassword(t *testing.T) {
	r := startRelay(t, Config{})
	u := hopclient.NewUser(t, "alice", 0)
	u.Password = "1234567"
	hopclient.MustCode(t, dial(t, r).Register(u), wire.CodeBadPassword)
}

func TestRegisterBadUsername(t *testing.T) {
	r := startRelay(t, Config{})
	hopclient.MustCode(t, dial(t, r).Register(hopclient.NewUser(t, "9lives", 0)), wire.CodeBadUsername)
}

func TestRegisterInvalidIdentityKey(t *testing.T) {
	r := startRelay(t, Config{})
	u := hopclient.NewUser(t, "alice", 0)
	c := dial(t, r)
	bad := bytes.Repeat([]byte{0xff}, wire.KeySize)
	bad[0] = 0x02 // x >= p: not a point
	f := c.Call(&wire.Frame{Register: &wire.Register{Username: u.Name, Password: u.Password,
		IdentityKey: bad, SignedPrekey: u.SPK}})
	hopclient.MustCode(t, f, wire.CodeBadKey)
	hopclient.MustWelcome(t, c.Register(u)) // the connection still works
}

func TestResumeWrongKey(t *testing.T) {
	r := startRelay(t, Config{})
	alice := hopclient.NewUser(t, "alice", 0)
	connectAs(t, r, alice, true)
	mallory := hopclient.NewUser(t, "alice", 0)
	hopclient.MustCode(t, dial(t, r).Resume(mallory), wire.CodeAuthFailed)
}

func TestResumeSignatureFromOtherConnection(t *testing.T) {
	r := startRelay(t, Config{})
	alice := hopclient.NewUser(t, "alice", 0)
	first := connectAs(t, r, alice, true)
	// A signature over the first connection's session id replayed on a second one.
	sig := alice.Identity.Sign("securep2p/v1/resume", append(sessionID(first), alice.Name...))
	c := dial(t, r)
	hopclient.MustCode(t, c.Call(&wire.Frame{Resume: &wire.Resume{Username: alice.Name, Signature: sig}}), wire.CodeAuthFailed)
}

func sessionID(c *client) []byte { id := c.Hop.SessionID(); return id[:] }

func TestLogout(t *testing.T) {
	r := startRelay(t, Config{})
	alice, bob := hopclient.NewUser(t, "alice", 0), hopclient.NewUser(t, "bob", 0)
	connectAs(t, r, bob, true)
	c := connectAs(t, r, alice, true)
	if f := c.Call(&wire.Frame{Logout: &wire.Logout{}}); f.OK == nil {
		t.Fatalf("logout: got %v", f.Type())
	}
	c.Send(hopclient.NewMsgID(), bob, "after logout")
	hopclient.MustCode(t, c.Next(), wire.CodeNotAuthed)
	hopclient.MustWelcome(t, c.Resume(alice)) // and can authenticate again
}

func TestRequestBeforeAuth(t *testing.T) {
	r := startRelay(t, Config{})
	c := dial(t, r)
	hopclient.MustCode(t, c.Call(&wire.Frame{FetchBundle: &wire.FetchBundle{Username: "bob"}}), wire.CodeNotAuthed)
	if f := c.Call(&wire.Frame{Ping: &wire.Ping{N: 7}}); f.Pong == nil || f.Pong.N != 7 {
		t.Fatalf("ping: %v", f.Type())
	}
}

func TestLoginAlreadyAuthed(t *testing.T) {
	r := startRelay(t, Config{})
	alice := hopclient.NewUser(t, "alice", 0)
	c := connectAs(t, r, alice, true)
	hopclient.MustCode(t, c.Login(alice), wire.CodeAlreadyAuthed)
}

func median(d []time.Duration) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

// TestLoginNoEnumeration: an unknown user and a wrong password give the
// same code and the same frame size; the timing medians are logged.
func TestLoginNoEnumeration(t *testing.T) {
	r := startRelay(t, Config{AuthBurstPerAddr: 100, LoginFreeFailures: 100})
	alice := hopclient.NewUser(t, "alice", 0)
	connectAs(t, r, alice, true)
	wrong := *alice
	wrong.Password = "not the password"
	ghost := hopclient.NewUser(t, "ghost", 0)
	c := dial(t, r)
	var tWrong, tGhost []time.Duration
	var sizes []int
	for range 5 {
		for _, u := range []*user{&wrong, ghost} {
			start := time.Now()
			f := c.Login(u)
			d := time.Since(start)
			hopclient.MustCode(t, f, wire.CodeAuthFailed)
			b, err := wire.Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, len(b)-len(encodeReq(f.Req)))
			if u == ghost {
				tGhost = append(tGhost, d)
			} else {
				tWrong = append(tWrong, d)
			}
		}
	}
	for _, s := range sizes {
		if s != sizes[0] {
			t.Fatalf("error frame sizes differ: %v", sizes)
		}
	}
	t.Logf("median login time: wrong password %v, unknown user %v", median(tWrong), median(tGhost))
}

// encodeReq is the size the Req field adds (it grows with the counter).
func encodeReq(req uint64) []byte {
	b, _ := wire.Encode(struct {
		R uint64 `cbor:"0,keyasint"`
	}{req})
	return b
}

func TestLoginRateLimitTripPoint(t *testing.T) {
	r := startRelay(t, Config{LoginFreeFailures: 3, AuthBurstPerAddr: 100})
	alice := hopclient.NewUser(t, "alice", 0)
	connectAs(t, r, alice, true)
	wrong := *alice
	wrong.Password = "wrong password"
	c := dial(t, r)
	for i := range 3 {
		if f := c.Login(&wrong); hopclient.ErrCode(f) != wire.CodeAuthFailed {
			t.Fatalf("attempt %d: %v", i+1, hopclient.ErrCode(f))
		}
	}
	hopclient.MustCode(t, c.Login(alice), wire.CodeRateLimited) // even the right password waits
	if got := value(r.m.RateLimited.WithLabelValues(metrics.ScopeAccount)); got != 1 {
		t.Fatalf("account rate-limit trips = %v", got)
	}
}

// TestFailedLoginsDoNotBlockResume: password failures by someone else must
// not lock the owner's daemon out of key-based resume (a denial of service
// that costs the attacker five wrong passwords).
func TestFailedLoginsDoNotBlockResume(t *testing.T) {
	r := startRelay(t, Config{LoginFreeFailures: 3, AuthBurstPerAddr: 100})
	alice := hopclient.NewUser(t, "alice", 0)
	connectAs(t, r, alice, true)
	wrong := *alice
	wrong.Password = "wrong password"
	c := dial(t, r)
	for range 4 {
		c.Login(&wrong)
	}
	hopclient.MustCode(t, c.Login(alice), wire.CodeRateLimited) // the name is locked for passwords
	hopclient.MustWelcome(t, dial(t, r).Resume(alice))          // but the key still opens it
	hopclient.MustCode(t, dial(t, r).Login(alice), wire.CodeRateLimited)
}

func TestAuthRateLimitPerAddress(t *testing.T) {
	r := startRelay(t, Config{AuthBurstPerAddr: 2, AuthRatePerAddr: 0.001})
	c := dial(t, r)
	ghost := hopclient.NewUser(t, "ghost", 0)
	hopclient.MustCode(t, c.Login(ghost), wire.CodeAuthFailed)
	hopclient.MustCode(t, c.Login(ghost), wire.CodeAuthFailed)
	hopclient.MustCode(t, dial(t, r).Login(ghost), wire.CodeRateLimited) // a new connection does not reset it
}

func TestConcurrentFetchDistinctPrekeys(t *testing.T) {
	r := startRelay(t, Config{})
	bob := hopclient.NewUser(t, "bob", 20)
	alice := hopclient.NewUser(t, "alice", 0)
	connectAs(t, r, bob, true)
	connectAs(t, r, alice, true)
	var mu sync.Mutex
	seen := map[uint32]int{}
	var wg sync.WaitGroup
	for range 4 {
		c := connectAs(t, r, alice, false)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				c.Req++
				c.Write(&wire.Frame{Req: c.Req, FetchBundle: &wire.FetchBundle{Username: "bob"}})
			}
			for range 5 {
				f := <-c.Frames
				if f == nil || f.Bundle == nil || f.Bundle.OneTime == nil {
					t.Errorf("fetch: %v", f)
					return
				}
				mu.Lock()
				seen[f.Bundle.OneTime.ID]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 20 {
		t.Fatalf("%d distinct one-time prekeys over 20 fetches: %v", len(seen), seen)
	}
}

func TestUploadPrekeys(t *testing.T) {
	r := startRelay(t, Config{})
	alice := hopclient.NewUser(t, "alice", 1)
	c := connectAs(t, r, alice, true)
	f := c.Call(&wire.Frame{UploadPrekeys: &wire.UploadPrekeys{OneTime: []wire.Prekey{{ID: 50, Key: hopclient.PubKey(t)}, {ID: 51, Key: hopclient.PubKey(t)}}}})
	if f.PrekeyCount == nil || f.PrekeyCount.Remaining != 3 {
		t.Fatalf("got %v %+v", f.Type(), f.PrekeyCount)
	}
	spk := alice.SPK
	spk.ID, spk.Key = 2, hopclient.PubKey(t)
	c.Call(&wire.Frame{UploadPrekeys: &wire.UploadPrekeys{SignedPrekey: &spk}})
	b := c.Call(&wire.Frame{FetchBundle: &wire.FetchBundle{Username: "alice"}})
	if b.Bundle == nil || b.Bundle.SignedPrekey.ID != 2 {
		t.Fatalf("signed prekey not replaced: %v", b.Type())
	}
}

func TestFetchUnknownUser(t *testing.T) {
	r := startRelay(t, Config{})
	c := connectAs(t, r, hopclient.NewUser(t, "alice", 0), true)
	hopclient.MustCode(t, c.Call(&wire.Frame{FetchBundle: &wire.FetchBundle{Username: "nobody"}}), wire.CodeUnknownUser)
}

func TestLoginKeyChange(t *testing.T) {
	r := startRelay(t, Config{})
	alice := hopclient.NewUser(t, "alice", 5)
	connectAs(t, r, alice, true)
	fresh := hopclient.NewUser(t, "alice", 1)
	fresh.Password = alice.Password
	c := dial(t, r)
	hopclient.MustCode(t, c.Login(fresh), wire.CodeBadKey) // a key change needs a signed prekey
	f := c.Call(&wire.Frame{Login: &wire.Login{Username: "alice", Password: alice.Password,
		IdentityKey: fresh.IDKey(), SignedPrekey: &fresh.SPK, OneTime: fresh.OPKs}})
	if w := hopclient.MustWelcome(t, f); !w.KeyChanged || w.Remaining != 1 {
		t.Fatalf("welcome %+v", w)
	}
	bob := connectAs(t, r, hopclient.NewUser(t, "bob", 0), true)
	b := bob.Call(&wire.Frame{FetchBundle: &wire.FetchBundle{Username: "alice"}})
	if !bytes.Equal(b.Bundle.IdentityKey, fresh.IDKey()) || b.Bundle.OneTime == nil || !bytes.Equal(b.Bundle.OneTime.Key, fresh.OPKs[0].Key) {
		t.Fatal("bundle does not carry the new key and only the new prekeys")
	}
	hopclient.MustCode(t, dial(t, r).Resume(alice), wire.CodeAuthFailed) // the old key no longer resumes
}

func TestSendKeyChanged(t *testing.T) {
	r := startRelay(t, Config{})
	bob := hopclient.NewUser(t, "bob", 0)
	connectAs(t, r, bob, true)
	c := connectAs(t, r, hopclient.NewUser(t, "alice", 0), true)
	stale := *bob
	stale.Identity = hopclient.NewUser(t, "x", 0).Identity
	id := hopclient.NewMsgID()
	c.Send(id, &stale, "hi")
	f := c.Next()
	hopclient.MustCode(t, f, wire.CodeKeyChanged)
	if !bytes.Equal(f.Error.ID, id) {
		t.Fatal("error does not carry the message id")
	}
}

func TestSendUnknownUser(t *testing.T) {
	r := startRelay(t, Config{})
	c := connectAs(t, r, hopclient.NewUser(t, "alice", 0), true)
	c.Send(hopclient.NewMsgID(), hopclient.NewUser(t, "nobody", 0), "hi")
	hopclient.MustCode(t, c.Next(), wire.CodeUnknownUser)
}

func TestOnlineDelivery(t *testing.T) {
	r := startRelay(t, Config{})
	bob := hopclient.NewUser(t, "bob", 0)
	bc := connectAs(t, r, bob, true)
	ac := connectAs(t, r, hopclient.NewUser(t, "alice", 0), true)
	id := ac.SendOK(bob, "hello bob")
	f := bc.Next()
	if f.Deliver == nil || !bytes.Equal(f.Deliver.ID, id) || f.Deliver.From != "alice" || string(f.Deliver.Body) != "hello bob" {
		t.Fatalf("got %v", f.Type())
	}
}

func TestOfflineMailboxAndAck(t *testing.T) {
	r := startRelay(t, Config{})
	bob := hopclient.NewUser(t, "bob", 0)
	connectAs(t, r, bob, true).Conn.CloseWithError(0, "")
	ac := connectAs(t, r, hopclient.NewUser(t, "alice", 0), true)
	ids := [][]byte{ac.SendOK(bob, "one"), ac.SendOK(bob, "two"), ac.SendOK(bob, "three")}
	bc := connectAs(t, r, bob, false)
	for i, want := range ids {
		f := bc.Next()
		if f.Deliver == nil || !bytes.Equal(f.Deliver.ID, want) {
			t.Fatalf("delivery %d: %v", i, f.Type())
		}
	}
	bc.Write(&wire.Frame{Ack: &wire.Ack{ID: ids[0]}})
	bc.Sync()
	bc.Conn.CloseWithError(0, "")
	waitFor(t, func() bool { return value(r.m.MessagesAcked) == 1 })
	again := connectAs(t, r, bob, false)
	got := again.Sync()
	if len(got) != 2 || !bytes.Equal(got[0].Deliver.ID, ids[1]) || !bytes.Equal(got[1].Deliver.ID, ids[2]) {
		t.Fatalf("redelivery: %d frames", len(got))
	}
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	for range 500 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not reached in 5s")
}

func TestSendIdempotent(t *testing.T) {
	r := startRelay(t, Config{})
	bob := hopclient.NewUser(t, "bob", 0)
	bc := connectAs(t, r, bob, true)
	ac := connectAs(t, r, hopclient.NewUser(t, "alice", 0), true)
	id := hopclient.NewMsgID()
	for range 2 {
		ac.Send(id, bob, "once")
		if f := ac.Next(); f.Accepted == nil {
			t.Fatalf("got %v", f.Type())
		}
	}
	got := bc.Sync()
	if len(got) != 1 || got[0].Deliver == nil {
		t.Fatalf("%d frames delivered, want 1", len(got))
	}
	bc.Write(&wire.Frame{Ack: &wire.Ack{ID: id}})
	bc.Sync()
	waitFor(t, func() bool { return value(r.m.MessagesAcked) == 1 })
	ac.Send(id, bob, "once") // re-sent after the ack
	if f := ac.Next(); f.Accepted == nil {
		t.Fatalf("got %v", f.Type())
	}
	if got := bc.Sync(); len(got) != 0 {
		t.Fatalf("delivered twice")
	}
}

func TestMessageSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	r := startRelay(t, Config{StateDir: dir})
	bob := hopclient.NewUser(t, "bob", 0)
	connectAs(t, r, bob, true).Conn.CloseWithError(0, "")
	id := connectAs(t, r, hopclient.NewUser(t, "alice", 0), true).SendOK(bob, "survive")
	r.stop()
	r2 := startRelay(t, Config{StateDir: dir})
	if r2.srv.PublicKey() != r.srv.PublicKey() {
		t.Fatal("relay key changed across restart")
	}
	f := connectAs(t, r2, bob, false).Next()
	if f.Deliver == nil || !bytes.Equal(f.Deliver.ID, id) {
		t.Fatalf("got %v", f.Type())
	}
}

func TestMailboxTTLExpiry(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	r := startRelay(t, Config{Now: clock.Now, MailboxTTL: time.Hour})
	bob := hopclient.NewUser(t, "bob", 0)
	connectAs(t, r, bob, true).Conn.CloseWithError(0, "")
	connectAs(t, r, hopclient.NewUser(t, "alice", 0), true).SendOK(bob, "ephemeral")
	clock.Advance(time.Hour + time.Second)
	r.srv.sweep()
	if got := value(r.m.MessagesExpired); got != 1 {
		t.Fatalf("expired = %v", got)
	}
	if got := connectAs(t, r, bob, false).Sync(); len(got) != 0 {
		t.Fatalf("expired envelope delivered")
	}
}

func TestMailboxQuota(t *testing.T) {
	r := startRelay(t, Config{MailboxMaxMsgs: 2})
	bob := hopclient.NewUser(t, "bob", 0)
	connectAs(t, r, bob, true).Conn.CloseWithError(0, "")
	ac := connectAs(t, r, hopclient.NewUser(t, "alice", 0), true)
	ac.SendOK(bob, "1")
	ac.SendOK(bob, "2")
	ac.Send(hopclient.NewMsgID(), bob, "3")
	hopclient.MustCode(t, ac.Next(), wire.CodeMailboxFull)
}

func TestMailboxQuotaBytes(t *testing.T) {
	r := startRelay(t, Config{MailboxMaxBytes: 10})
	bob := hopclient.NewUser(t, "bob", 0)
	connectAs(t, r, bob, true).Conn.CloseWithError(0, "")
	ac := connectAs(t, r, hopclient.NewUser(t, "alice", 0), true)
	ac.SendOK(bob, "12345678")
	ac.Send(hopclient.NewMsgID(), bob, "12345678")
	hopclient.MustCode(t, ac.Next(), wire.CodeMailboxFull)
}
