package e2e

import (
	"bytes"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

// fakeClock replaces the pacing clock until the test ends.
type fakeClock struct{ now time.Time }

func useFakeClock(t testing.TB) *fakeClock {
	c := &fakeClock{now: time.UnixMilli(1767225600000)}
	clock = func() time.Time { return c.now }
	t.Cleanup(func() { clock = time.Now })
	return c
}

func (c *fakeClock) advance(d time.Duration) { c.now = c.now.Add(d) }

// unpaced makes sessions do every pending turn at once (the unpaced double
// ratchet: a turn per round trip), for tests built around such turns.
func unpaced(ss ...*Session) {
	for _, s := range ss {
		s.pace.minTurn = 0
	}
}

func ratchetOf(t testing.TB, env []byte) secp.PublicKey {
	t.Helper()
	h, err := ParseHeader(env)
	if err != nil {
		t.Fatal(err)
	}
	return h.Ratchet
}

// send encrypts msg on from, decrypts it on to, and returns its header.
func send(t testing.TB, from, to *Session, msg string) Header {
	t.Helper()
	env := mustEncrypt(t, from, msg)
	mustDecrypt(t, to, env, msg)
	h, err := ParseHeader(env)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func wantHeader(t testing.TB, h Header, ratchet secp.PublicKey, n, pn uint32) {
	t.Helper()
	if h.Ratchet != ratchet || h.N != n || h.PN != pn {
		t.Fatalf("header (%s, n %d, pn %d), want (%s, n %d, pn %d)",
			h.Ratchet.Fingerprint(), h.N, h.PN, ratchet.Fingerprint(), n, pn)
	}
}

// TestTurnDeferredWithinInterval: a 20-message ping-pong within
// MinTurnInterval makes exactly one turn, the responder's first reply; then
// both sides keep their ratchet keys and chains (N counts on, PN stays 0).
func TestTurnDeferredWithinInterval(t *testing.T) {
	useFakeClock(t)
	alice, bob := newParty(t, "alice", 1), newParty(t, "bob", 1)
	as, err := Initiate(alice.id, alice.name, bob.bundle(t))
	if err != nil {
		t.Fatal(err)
	}
	pre := mustEncrypt(t, as, "hello")
	a1 := ratchetOf(t, pre)
	bs, _, _, err := Respond(bob.id, bob.name, alice.name, pre, bob.store)
	if err != nil {
		t.Fatal(err)
	}
	spk, _ := bob.store.CurrentSignedPrekey()
	h := send(t, bs, as, "reply 0")
	b1 := h.Ratchet
	if b1 == b2k(t, spk.Key) || b1 == a1 {
		t.Fatal("the first reply is not under a fresh ratchet key")
	}
	wantHeader(t, h, b1, 0, 0)
	for i := range 10 {
		wantHeader(t, send(t, as, bs, msgName("ab", i)), a1, uint32(i+1), 0)
		wantHeader(t, send(t, bs, as, msgName("ba", i)), b1, uint32(i+1), 0)
	}
	if !as.st.turnPending || bs.st.turnPending {
		t.Fatalf("pending turns: alice %v (want true), bob %v (want false)", as.st.turnPending, bs.st.turnPending)
	}
}

// TestTurnAfterInterval: once MinTurnInterval has passed since a side's
// last turn, its next message after a new peer key turns (PN = the old
// chain's length), and the peer's reply turns too; one millisecond less
// does not turn.
func TestTurnAfterInterval(t *testing.T) {
	clk := useFakeClock(t)
	as, bs := establish(t, newParty(t, "alice", 1), newParty(t, "bob", 1))
	a1, b1 := as.st.sendPriv.Public(), bs.st.sendPriv.Public()
	send(t, as, bs, "one") // alice's N = 1
	clk.advance(MinTurnInterval - time.Millisecond)
	wantHeader(t, send(t, as, bs, "almost"), a1, 2, 0)
	clk.advance(time.Millisecond)
	h := send(t, as, bs, "turn")
	if h.Ratchet == a1 || h.Ratchet == b1 {
		t.Fatal("alice did not turn after the interval")
	}
	wantHeader(t, h, h.Ratchet, 0, 3)
	a2 := h.Ratchet
	hb := send(t, bs, as, "bob turns") // bob's last turn was at setup, an interval ago
	if hb.Ratchet == b1 || hb.Ratchet == a2 {
		t.Fatal("bob did not turn after the interval")
	}
	wantHeader(t, hb, hb.Ratchet, 0, 1)
	wantHeader(t, send(t, as, bs, "no turn"), a2, 1, 3) // alice turned just now
}

// TestTurnAfterMaxChainMessages: with the clock standing still, a side
// without a pending turn keeps one chain beyond MaxChainMessages; a pending
// turn is done once MaxChainMessages messages were sent on the chain.
func TestTurnAfterMaxChainMessages(t *testing.T) {
	useFakeClock(t)
	as, bs := establish(t, newParty(t, "alice", 1), newParty(t, "bob", 1))
	a1, b1 := as.st.sendPriv.Public(), bs.st.sendPriv.Public()
	const long = MaxChainMessages + 50
	for n := uint32(1); n <= long; n++ { // bob has no pending turn: "hi back" was N = 0
		wantHeader(t, send(t, bs, as, "y"), b1, n, 0)
	}
	for n := uint32(1); n < MaxChainMessages; n++ { // alice's turn is pending; "hello" was N = 0
		wantHeader(t, send(t, as, bs, "x"), a1, n, 0)
	}
	h := send(t, as, bs, "turn")
	if h.Ratchet == a1 || h.Ratchet == b1 {
		t.Fatal("no turn after MaxChainMessages")
	}
	wantHeader(t, h, h.Ratchet, 0, MaxChainMessages)
	hb := send(t, bs, as, "bob turns") // pending now, and his chain is long already
	if hb.Ratchet == b1 || hb.Ratchet == h.Ratchet {
		t.Fatal("bob did not turn")
	}
	wantHeader(t, hb, hb.Ratchet, 0, long+1)
}

// TestResponderFirstReplyAlwaysTurns: with the clock standing still and no
// messages sent, the responder's first reply is under a fresh ratchet key
// (not its signed prekey), and no turn is left pending; the signed prekey's
// copy in the session is gone.
func TestResponderFirstReplyAlwaysTurns(t *testing.T) {
	useFakeClock(t)
	alice, bob := newParty(t, "alice", 0), newParty(t, "bob", 0)
	as, err := Initiate(alice.id, alice.name, bob.bundle(t))
	if err != nil {
		t.Fatal(err)
	}
	bs, _, _, err := Respond(bob.id, bob.name, alice.name, mustEncrypt(t, as, "hi"), bob.store)
	if err != nil {
		t.Fatal(err)
	}
	spk, _ := bob.store.CurrentSignedPrekey()
	if bs.st.turnPending || bs.st.sendPriv.Public() == b2k(t, spk.Key) {
		t.Fatal("responder did not turn on the first message")
	}
	h := send(t, bs, as, "reply")
	if h.Ratchet == b2k(t, spk.Key) || h.N != 0 || h.PN != 0 {
		t.Fatalf("first reply: n %d pn %d, under the signed prekey: %v", h.N, h.PN, h.Ratchet == b2k(t, spk.Key))
	}
}

// fixedKeys makes newPrivateKey return the same sequence after every call
// of the returned reset function.
func fixedKeys(t *testing.T) (reset func()) {
	i := 0
	newPrivateKey = func() (*secp.PrivateKey, error) {
		i++
		h := sha256.Sum256([]byte{byte(i), 'k'})
		return secp.ParsePrivateKey(h[:])
	}
	t.Cleanup(func() { newPrivateKey = secp.GeneratePrivateKey })
	return func() { i = 0 }
}

// TestPacedStateRoundTrip: a session serialised with a pending turn (and
// its last-turn time and chain length) continues identically: the same
// messages without a turn, the same turn when the interval has passed.
func TestPacedStateRoundTrip(t *testing.T) {
	clk := useFakeClock(t)
	as, bs := establish(t, newParty(t, "alice", 1), newParty(t, "bob", 1))
	send(t, as, bs, "one")
	blob := stateBytes(t, as)
	restored, err := UnmarshalSession(blob)
	if err != nil {
		t.Fatal(err)
	}
	if !restored.st.turnPending || restored.st.lastTurn != as.st.lastTurn || !bytes.Equal(stateBytes(t, restored), blob) {
		t.Fatal("pacing state not restored")
	}
	reset := fixedKeys(t)
	clk.advance(MinTurnInterval / 2)
	for _, msg := range []string{"no turn", "turn"} {
		reset()
		x := mustEncrypt(t, as, msg)
		reset()
		if y := mustEncrypt(t, restored, msg); !bytes.Equal(x, y) {
			t.Fatalf("%q: restored session encrypts differently", msg)
		}
		mustDecrypt(t, bs, x, msg)
		clk.advance(MinTurnInterval / 2)
	}
	if restored.st.turnPending || !bytes.Equal(stateBytes(t, as), stateBytes(t, restored)) {
		t.Fatal("states diverged, or no turn after the interval")
	}
}

// TestStateVersion1Readable: a version-1 state (before pacing) loads with no
// pending turn; a version-1 state claiming pacing fields is rejected.
func TestStateVersion1Readable(t *testing.T) {
	useFakeClock(t)
	as, _ := establish(t, newParty(t, "alice", 1), newParty(t, "bob", 1))
	st := as.toState()
	st.Version, st.TurnPending, st.LastTurn = 1, false, 0
	v1, err := wire.Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	s, err := UnmarshalSession(v1)
	if err != nil || s.st.turnPending || s.st.lastTurn != 0 {
		t.Fatalf("version 1: %v", err)
	}
	st.TurnPending = true
	bad, _ := wire.Encode(st)
	_, err = UnmarshalSession(bad)
	wantErr(t, err, ErrMalformed)
}

// TestStatePendingTurnWithoutReceivingChainRejected: a stored pending turn
// needs a receiving chain (the peer key to turn against).
func TestStatePendingTurnWithoutReceivingChainRejected(t *testing.T) {
	alice, bob := newParty(t, "alice", 0), newParty(t, "bob", 0)
	as, err := Initiate(alice.id, alice.name, bob.bundle(t))
	if err != nil {
		t.Fatal(err)
	}
	st := as.toState()
	st.TurnPending = true
	b, _ := wire.Encode(st)
	_, err = UnmarshalSession(b)
	wantErr(t, err, ErrMalformed)
}

// TestEncryptFailureKeepsPendingTurn: an Encrypt that fails after doing a
// due turn (plaintext too large is checked first; a failing key source is
// the case here) leaves the session unchanged.
func TestEncryptFailureKeepsPendingTurn(t *testing.T) {
	clk := useFakeClock(t)
	as, bs := establish(t, newParty(t, "alice", 1), newParty(t, "bob", 1))
	clk.advance(MinTurnInterval)
	before := stateBytes(t, as)
	newPrivateKey = func() (*secp.PrivateKey, error) { return nil, ErrPrekeyPool }
	_, err := as.Encrypt([]byte("x"))
	newPrivateKey = secp.GeneratePrivateKey
	wantErr(t, err, ErrPrekeyPool)
	requireUnchanged(t, as, before)
	_, err = as.Encrypt(make([]byte, MaxPlaintext+1))
	wantErr(t, err, ErrTooLarge)
	requireUnchanged(t, as, before)
	if h := send(t, as, bs, "turn"); h.N != 0 || h.PN != 1 {
		t.Fatalf("after the failures: n %d pn %d", h.N, h.PN)
	}
}
