package e2e

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/securep2p/securep2p/wire"
)

type queued struct {
	env  []byte
	want string
}

// TestShuffled50EachWayAcrossRatchetTurns: 5 rounds of 10 messages each way,
// MinTurnInterval apart (paced turns: each side turns at most once per
// round); in every round half the messages are held back, and all held
// messages are delivered shuffled at the end, across at least 8 DH-ratchet
// turns. Every message decrypts exactly once; the first delivered message
// may be any of the initial prekey messages.
func TestShuffled50EachWayAcrossRatchetTurns(t *testing.T) {
	clk := useFakeClock(t)
	rng := rand.New(rand.NewPCG(1, 2))
	alice, bob := newParty(t, "alice", 5), newParty(t, "bob", 5)
	as, err := Initiate(alice.id, alice.name, bob.bundle(t))
	if err != nil {
		t.Fatal(err)
	}
	var bs *Session
	var held []queued
	recvBob := func(q queued) {
		if bs != nil {
			mustDecrypt(t, bs, q.env, q.want)
			return
		}
		s, pt, used, err := Respond(bob.id, bob.name, alice.name, q.env, bob.store)
		if err != nil || string(pt) != q.want {
			t.Fatalf("respond: %v", err)
		}
		bob.store.Consume(used)
		bs = s
	}
	n := 0
	keys := map[[33]byte]bool{}
	for round := range 5 {
		clk.advance(MinTurnInterval)
		ab := sendRound(t, as, "ab", round*10)
		held = append(held, deliverHalf(rng, ab, recvBob)...)
		ba := sendRound(t, bs, "ba", round*10)
		held = append(held, deliverHalf(rng, ba, func(q queued) { mustDecrypt(t, as, q.env, q.want) })...)
		for _, q := range append(ab, ba...) {
			keys[ratchetOf(t, q.env).Array()] = true
		}
		n += 20
	}
	if len(keys) < 9 { // the initial key, then at least 8 turns
		t.Fatalf("only %d ratchet keys: the test crossed too few DH turns", len(keys))
	}
	rng.Shuffle(len(held), func(i, j int) { held[i], held[j] = held[j], held[i] })
	for _, q := range held {
		if q.want[:2] == "ab" {
			mustDecrypt(t, bs, q.env, q.want)
		} else {
			mustDecrypt(t, as, q.env, q.want)
		}
	}
	for _, q := range held { // each decrypts once only
		s := as
		if q.want[:2] == "ab" {
			s = bs
		}
		if _, err := s.Decrypt(q.env); err == nil {
			t.Fatalf("%s decrypted twice", q.want)
		}
	}
	if as.SkippedKeys() != 0 || bs.SkippedKeys() != 0 || n != 100 {
		t.Fatalf("skipped keys left: %d, %d", as.SkippedKeys(), bs.SkippedKeys())
	}
}

func sendRound(t *testing.T, s *Session, dir string, first int) []queued {
	out := make([]queued, 10)
	for i := range out {
		w := msgName(dir, first+i)
		out[i] = queued{env: mustEncrypt(t, s, w), want: w}
	}
	return out
}

// deliverHalf delivers a random half in order and returns the other half.
func deliverHalf(rng *rand.Rand, qs []queued, deliver func(queued)) []queued {
	perm := rng.Perm(len(qs))
	hold := map[int]bool{}
	for _, i := range perm[:len(qs)/2] {
		hold[i] = true
	}
	var held []queued
	for i, q := range qs {
		if hold[i] {
			held = append(held, q)
		} else {
			deliver(q)
		}
	}
	return held
}

// TestGapBeyondMaxSkipRejected: a message MaxSkip+1 ahead is rejected before
// any key is derived (in the current chain and in a new chain); exactly
// MaxSkip ahead is accepted.
func TestGapBeyondMaxSkipRejected(t *testing.T) {
	as, bs := establish(t, newParty(t, "alice", 1), newParty(t, "bob", 1))
	unpaced(as, bs) // a turn per round trip: the first 502 messages stay in one chain
	envs := make([][]byte, MaxSkip+2)
	for i := range envs {
		envs[i] = mustEncrypt(t, as, msgName("m", i))
	}
	before := stateBytes(t, bs)
	_, err := bs.Decrypt(envs[MaxSkip+1]) // skips MaxSkip+1 keys (0..MaxSkip)
	wantErr(t, err, ErrTooFarAhead)
	requireUnchanged(t, bs, before)
	mustDecrypt(t, bs, envs[MaxSkip], msgName("m", MaxSkip)) // skips exactly MaxSkip
	if bs.SkippedKeys() != MaxSkip {
		t.Fatalf("skipped = %d", bs.SkippedKeys())
	}
	// A new chain whose first delivered message is MaxSkip+1 ahead.
	mustDecrypt(t, as, mustEncrypt(t, bs, "turn"), "turn")
	var last []byte
	for i := 0; i <= MaxSkip+1; i++ {
		last = mustEncrypt(t, as, "x")
	}
	_, err = bs.Decrypt(last)
	wantErr(t, err, ErrTooFarAhead)
}

// TestSkippedKeyCapEvictsOldest: skipped keys over MaxSkippedKeys evict the
// oldest, and an evicted message is reported as a duplicate.
func TestSkippedKeyCapEvictsOldest(t *testing.T) {
	as, bs := establish(t, newParty(t, "alice", 1), newParty(t, "bob", 1))
	unpaced(as, bs) // chain1 is one chain; "turn" starts chain2
	chain1 := make([][]byte, MaxSkip+1)
	for i := range chain1 {
		chain1[i] = mustEncrypt(t, as, msgName("c1", i))
	}
	mustDecrypt(t, bs, chain1[MaxSkip], msgName("c1", MaxSkip)) // MaxSkip skipped
	mustDecrypt(t, as, mustEncrypt(t, bs, "turn"), "turn")
	const second = 400
	chain2 := make([][]byte, second)
	for i := range chain2 {
		chain2[i] = mustEncrypt(t, as, msgName("c2", i))
	}
	mustDecrypt(t, bs, chain2[second-1], msgName("c2", second-1))
	if got := bs.SkippedKeys(); got != MaxSkippedKeys {
		t.Fatalf("skipped keys = %d, want the cap %d", got, MaxSkippedKeys)
	}
	evicted := MaxSkip + second - 1 - MaxSkippedKeys
	_, err := bs.Decrypt(chain1[0])
	wantErr(t, err, ErrDuplicate)
	_, err = bs.Decrypt(chain1[evicted-1])
	wantErr(t, err, ErrDuplicate)
	mustDecrypt(t, bs, chain1[evicted], msgName("c1", evicted))
	mustDecrypt(t, bs, chain2[0], msgName("c2", 0))
}

// TestDuplicateRejected: an in-order and an out-of-order message delivered
// twice are both rejected the second time.
func TestDuplicateRejected(t *testing.T) {
	as, bs := establish(t, newParty(t, "alice", 1), newParty(t, "bob", 1))
	e0, e1 := mustEncrypt(t, as, "zero"), mustEncrypt(t, as, "one")
	mustDecrypt(t, bs, e1, "one")
	mustDecrypt(t, bs, e0, "zero")
	_, err := bs.Decrypt(e1)
	wantErr(t, err, ErrDuplicate)
	_, err = bs.Decrypt(e0)
	wantErr(t, err, ErrDuplicate)
}

// TestBitFlipHeader: flipping any bit of a MAC'd header field fails the MAC.
func TestBitFlipHeader(t *testing.T) {
	as, bs := establish(t, newParty(t, "alice", 1), newParty(t, "bob", 1))
	unpaced(as, bs) // "a" starts a new chain, so "target" has N = 1
	mustDecrypt(t, bs, mustEncrypt(t, as, "a"), "a")
	env := mustEncrypt(t, as, "target") // N = 1
	before := stateBytes(t, bs)
	for bit := range 32 {
		_, err := bs.Decrypt(editEnvelope(t, env, func(e *envelope) { e.PN ^= 1 << bit }))
		wantErr(t, err, ErrAuth)
	}
	_, err := bs.Decrypt(editEnvelope(t, env, func(e *envelope) { e.N ^= 2 })) // within MaxSkip
	wantErr(t, err, ErrAuth)
	requireUnchanged(t, bs, before)
	mustDecrypt(t, bs, env, "target")
}

// TestBitFlipCiphertext: flipping any single bit of the ciphertext fails.
func TestBitFlipCiphertext(t *testing.T) {
	as, bs := establish(t, newParty(t, "alice", 1), newParty(t, "bob", 1))
	env := mustEncrypt(t, as, "a secret message")
	before := stateBytes(t, bs)
	for i := range 8 * len("a secret message") {
		_, err := bs.Decrypt(editEnvelope(t, env, func(e *envelope) { e.Ciphertext[i/8] ^= 1 << (i % 8) }))
		wantErr(t, err, ErrAuth)
	}
	requireUnchanged(t, bs, before)
	mustDecrypt(t, bs, env, "a secret message")
}

// TestBitFlipMAC: flipping any single bit of the MAC fails.
func TestBitFlipMAC(t *testing.T) {
	as, bs := establish(t, newParty(t, "alice", 1), newParty(t, "bob", 1))
	env := mustEncrypt(t, as, "m")
	for i := range 8 * macSize {
		_, err := bs.Decrypt(editEnvelope(t, env, func(e *envelope) { e.MAC[i/8] ^= 1 << (i % 8) }))
		wantErr(t, err, ErrAuth)
	}
	mustDecrypt(t, bs, env, "m")
}

// TestReaddressedToOtherRecipientFails: a prekey message and a ratchet
// message for bob, delivered to carol, fail (carol's prekeys have the same
// IDs, so only the keys and identities differ).
func TestReaddressedToOtherRecipientFails(t *testing.T) {
	alice, bob, carol := newParty(t, "alice", 1), newParty(t, "bob", 1), newParty(t, "carol", 1)
	toBob, err := Initiate(alice.id, alice.name, bob.bundle(t))
	if err != nil {
		t.Fatal(err)
	}
	pre := mustEncrypt(t, toBob, "for bob")
	_, _, _, err = Respond(carol.id, carol.name, alice.name, pre, carol.store)
	wantErr(t, err, ErrAuth)
	if carol.store.OneTimeCount() != 1 {
		t.Fatal("a failed Respond consumed a prekey")
	}
	as, bs := establish(t, alice, bob)
	ac, cs := establish(t, alice, carol)
	env := mustEncrypt(t, as, "for bob again")
	_, err = cs.Decrypt(env)
	wantErr(t, err, ErrAuth)
	mustDecrypt(t, bs, env, "for bob again")
	mustDecrypt(t, cs, mustEncrypt(t, ac, "for carol"), "for carol")
}

// TestRelabelledSenderFails: the relay claims the prekey message came from
// mallory; the sender name is in the associated data, so it fails.
func TestRelabelledSenderFails(t *testing.T) {
	alice, bob := newParty(t, "alice", 1), newParty(t, "bob", 1)
	s, err := Initiate(alice.id, alice.name, bob.bundle(t))
	if err != nil {
		t.Fatal(err)
	}
	env := mustEncrypt(t, s, "from alice")
	_, _, _, err = Respond(bob.id, bob.name, "mallory", env, bob.store)
	wantErr(t, err, ErrAuth)
	_, pt, _, err := Respond(bob.id, bob.name, alice.name, env, bob.store)
	if err != nil || string(pt) != "from alice" {
		t.Fatalf("genuine sender: %v", err)
	}
}

// TestBadSignedPrekeySignature: every single-bit flip of the signed-prekey
// signature, and a valid signature over a different key, are rejected.
func TestBadSignedPrekeySignature(t *testing.T) {
	alice, bob := newParty(t, "alice", 0), newParty(t, "bob", 0)
	good := bob.bundle(t)
	if err := VerifyBundle(good); err != nil {
		t.Fatal(err)
	}
	for i := range 8 * len(good.SignedPrekey.Signature) {
		b := *good
		b.SignedPrekey.Signature = bytes.Clone(good.SignedPrekey.Signature)
		b.SignedPrekey.Signature[i/8] ^= 1 << (i % 8)
		wantErr(t, VerifyBundle(&b), ErrBadBundle)
	}
	other := newParty(t, "other", 0)
	spk, _ := other.store.CurrentSignedPrekey()
	swapped := *good
	swapped.SignedPrekey = wire.SignedPrekey{ID: spk.ID, Key: spk.Key,
		Signature: bob.id.Key().Sign(labelSignedPrekey, signedPrekeyMessage(spk.ID+1, spk.Key))}
	wantErr(t, VerifyBundle(&swapped), ErrBadBundle) // valid signature, different (id, key)
	swapped.SignedPrekey = wire.SignedPrekey{ID: good.SignedPrekey.ID, Key: spk.Key, Signature: good.SignedPrekey.Signature}
	wantErr(t, VerifyBundle(&swapped), ErrBadBundle) // bob's valid signature over his key, other key
	_, err := Initiate(alice.id, alice.name, &swapped)
	wantErr(t, err, ErrBadBundle)
}

// TestStateUnchangedAfterFailedDecrypt: failures in every path (skipped
// key, current chain, new chain, gap) leave the serialised state identical.
func TestStateUnchangedAfterFailedDecrypt(t *testing.T) {
	as, bs := establish(t, newParty(t, "alice", 1), newParty(t, "bob", 1))
	unpaced(as, bs) // e2 is in a new chain
	e0, e1 := mustEncrypt(t, as, "zero"), mustEncrypt(t, as, "one")
	mustDecrypt(t, bs, e1, "one") // e0 is now a skipped key
	mustDecrypt(t, as, mustEncrypt(t, bs, "turn"), "turn")
	e2 := mustEncrypt(t, as, "new chain")
	before := stateBytes(t, bs)
	flip := func(e *envelope) { e.MAC[0] ^= 1 }
	for _, env := range [][]byte{e0, e1, e2} {
		if _, err := bs.Decrypt(editEnvelope(t, env, flip)); err == nil {
			t.Fatal("tampered message accepted")
		}
		requireUnchanged(t, bs, before)
	}
	// A pn gap beyond MaxSkip abandons the old chain (only once the MAC
	// verified): the tampered header fails the MAC.
	_, err := bs.Decrypt(editEnvelope(t, e2, func(e *envelope) { e.PN = 1000 }))
	wantErr(t, err, ErrAuth)
	requireUnchanged(t, bs, before)
	mustDecrypt(t, bs, e0, "zero")
	mustDecrypt(t, bs, e2, "new chain")
}

// TestReplayedPrekeyMessage: a replayed prekey message is a duplicate in the
// session, cannot set up a second session once its one-time prekey is
// consumed, and (without a one-time prekey) a replayed setup answers under a
// fresh ratchet key, so the replay gains nothing.
func TestReplayedPrekeyMessage(t *testing.T) {
	alice, bob := newParty(t, "alice", 1), newParty(t, "bob", 0)
	as, err := Initiate(alice.id, alice.name, bob.bundle(t))
	if err != nil {
		t.Fatal(err)
	}
	env := mustEncrypt(t, as, "once")
	bs1, _, _, err := Respond(bob.id, bob.name, alice.name, env, bob.store)
	if err != nil {
		t.Fatal(err)
	}
	_, err = bs1.Decrypt(env)
	wantErr(t, err, ErrDuplicate)
	bs2, _, _, err := Respond(bob.id, bob.name, alice.name, env, bob.store)
	if err != nil {
		t.Fatal(err)
	}
	r1, _ := ParseHeader(mustEncrypt(t, bs1, "reply"))
	r2, _ := ParseHeader(mustEncrypt(t, bs2, "reply"))
	if r1.Ratchet == r2.Ratchet {
		t.Fatal("replayed setup reused the reply ratchet key")
	}

	carolOTK := newParty(t, "carol", 1)
	cs, err := Initiate(alice.id, alice.name, carolOTK.bundle(t))
	if err != nil {
		t.Fatal(err)
	}
	env = mustEncrypt(t, cs, "with otk")
	_, _, used, err := Respond(carolOTK.id, carolOTK.name, alice.name, env, carolOTK.store)
	if err != nil || used == 0 {
		t.Fatalf("respond: %v, used %d", err, used)
	}
	carolOTK.store.Consume(used)
	_, _, _, err = Respond(carolOTK.id, carolOTK.name, alice.name, env, carolOTK.store)
	wantErr(t, err, ErrUnknownPrekey)
}

// TestKeyIVPairsDistinct100k: 100,000 messages across DH turns; every (AES
// key, IV) pair Encrypt used is distinct.
func TestKeyIVPairsDistinct100k(t *testing.T) {
	seen := make(map[[keySize + ivSize]byte]struct{}, 100_000)
	observeMessageKeys = func(k, iv []byte) {
		var pair [keySize + ivSize]byte
		copy(pair[:], k)
		copy(pair[keySize:], iv)
		seen[pair] = struct{}{}
	}
	defer func() { observeMessageKeys = nil }()
	as, bs := establish(t, newParty(t, "alice", 1), newParty(t, "bob", 1))
	before := len(seen)
	const total, turn = 100_000, MaxSkip // the receiver skips turn-1 keys
	s, r := as, bs
	for i := range total {
		env := mustEncrypt(t, s, "x")
		if (i+1)%turn == 0 { // the receiver answers: a DH-ratchet turn
			if _, err := r.Decrypt(env); err != nil {
				t.Fatal(err)
			}
			s, r = r, s
		}
	}
	if got := len(seen) - before; got != total {
		t.Fatalf("%d distinct (key, iv) pairs for %d messages", got, total)
	}
}

// TestNoOneTimePrekey: setup works with an empty one-time pool (no DH4).
func TestNoOneTimePrekey(t *testing.T) {
	alice, bob := newParty(t, "alice", 0), newParty(t, "bob", 0)
	b := bob.bundle(t)
	if b.OneTime != nil {
		t.Fatal("bundle has a one-time prekey")
	}
	as, err := Initiate(alice.id, alice.name, b)
	if err != nil {
		t.Fatal(err)
	}
	bs, pt, used, err := Respond(bob.id, bob.name, alice.name, mustEncrypt(t, as, "no otk"), bob.store)
	if err != nil || used != 0 || string(pt) != "no otk" {
		t.Fatalf("respond: %v used=%d", err, used)
	}
	mustDecrypt(t, as, mustEncrypt(t, bs, "reply"), "reply")
	if as.AwaitingReply() {
		t.Fatal("initiator still sends prekey messages after a reply")
	}
	h, err := ParseHeader(mustEncrypt(t, as, "plain"))
	if err != nil || h.Prekey {
		t.Fatalf("after the reply: prekey=%v err=%v", h.Prekey, err)
	}
}

// TestOtherSessionPrekeyMessage: a prekey message with a new base key is
// refused by an existing session (the daemon then calls Respond).
func TestOtherSessionPrekeyMessage(t *testing.T) {
	alice, bob := newParty(t, "alice", 0), newParty(t, "bob", 0)
	_, bs := establish(t, alice, bob)
	again, err := Initiate(alice.id, alice.name, bob.bundle(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = bs.Decrypt(mustEncrypt(t, again, "new session"))
	wantErr(t, err, ErrOtherSession)
}

// TestRespondRejectsRatchetMessage: Respond needs a prekey message.
func TestRespondRejectsRatchetMessage(t *testing.T) {
	alice, bob := newParty(t, "alice", 0), newParty(t, "bob", 0)
	as, _ := establish(t, alice, bob)
	_, _, _, err := Respond(bob.id, bob.name, alice.name, mustEncrypt(t, as, "x"), bob.store)
	wantErr(t, err, ErrNotPrekeyMessage)
}
