package e2e

import (
	"math"
	"testing"
)

// TestRecoversAfterLostChainBeyondMaxSkip: more than MaxSkip messages of
// one chain are lost (mailbox TTL, a relay dropping them). The next message
// of that chain is still refused, state unchanged; after the sender's next
// DH-ratchet turn the old receiving chain is abandoned and every later
// message decrypts. A late message of the abandoned chain is reported as
// expired, and no skipped keys are stored for it.
func TestRecoversAfterLostChainBeyondMaxSkip(t *testing.T) {
	as, bs := establish(t, newParty(t, "alice", 1), newParty(t, "bob", 1))
	unpaced(as, bs) // a turn on every round trip
	mustDecrypt(t, bs, mustEncrypt(t, as, "before"), "before")
	var late []byte
	for i := 0; i < MaxSkip+1; i++ {
		late = mustEncrypt(t, as, "lost")
	}
	before := stateBytes(t, bs)
	_, err := bs.Decrypt(mustEncrypt(t, as, "same chain"))
	wantErr(t, err, ErrTooFarAhead)
	requireUnchanged(t, bs, before)
	for round := 0; round < 10; round++ {
		mustDecrypt(t, as, mustEncrypt(t, bs, msgName("reply", round)), msgName("reply", round))
		mustDecrypt(t, bs, mustEncrypt(t, as, msgName("after", round)), msgName("after", round))
	}
	if n := bs.SkippedKeys(); n != 0 {
		t.Fatalf("skipped keys = %d, want 0 (the abandoned chain stores none)", n)
	}
	_, err = bs.Decrypt(late)
	wantErr(t, err, ErrDuplicate)
}

// TestForgedHugePNChangesNothing: an unauthenticated message under a new
// ratchet key claiming a huge previous chain fails the MAC, and the session
// is untouched: the old chain's skipped keys and its next messages still
// decrypt, and so does the genuine message the forgery was made from.
func TestForgedHugePNChangesNothing(t *testing.T) {
	as, bs := establish(t, newParty(t, "alice", 1), newParty(t, "bob", 1))
	unpaced(as, bs)
	e0, e1, e2 := mustEncrypt(t, as, "zero"), mustEncrypt(t, as, "one"), mustEncrypt(t, as, "two")
	mustDecrypt(t, bs, e1, "one") // e0 is a skipped key
	mustDecrypt(t, as, mustEncrypt(t, bs, "turn"), "turn")
	next := mustEncrypt(t, as, "new chain") // alice's next chain, PN = 3
	before := stateBytes(t, bs)
	forged := editEnvelope(t, next, func(e *envelope) { e.PN = math.MaxUint32 })
	_, err := bs.Decrypt(forged)
	wantErr(t, err, ErrAuth)
	requireUnchanged(t, bs, before)
	k, err := newPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	stranger := editEnvelope(t, next, func(e *envelope) { e.Ratchet, e.PN = k.Public().Bytes(), MaxSkip+1 })
	_, err = bs.Decrypt(stranger)
	wantErr(t, err, ErrAuth)
	requireUnchanged(t, bs, before)
	if bs.SkippedKeys() != 1 {
		t.Fatalf("skipped keys = %d, want 1", bs.SkippedKeys())
	}
	mustDecrypt(t, bs, e0, "zero")
	mustDecrypt(t, bs, e2, "two")
	mustDecrypt(t, bs, next, "new chain")
}
