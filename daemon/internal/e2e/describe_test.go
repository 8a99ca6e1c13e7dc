package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"testing"
)

// nextMACKey derives the HMAC key s.Encrypt will use for its next message
// (the session must not be about to turn its sending ratchet).
func nextMACKey(t *testing.T, s *Session) []byte {
	t.Helper()
	if s.turnDue() {
		t.Fatal("a sending turn is due: the next message key is not predictable")
	}
	m := getMacer()
	defer putMacer(m)
	seed, _ := m.chainStep(&s.st.sendCK)
	mk := m.expand(&seed, messageKeysInfo)
	return append([]byte(nil), mk.mac[:]...)
}

// checkMACOver recomputes the envelope's MAC with the standard library's
// HMAC over ad || ciphertext.
func checkMACOver(t *testing.T, macKey, ad, env []byte) {
	t.Helper()
	p, err := parseEnvelope(env)
	if err != nil {
		t.Fatal(err)
	}
	h := hmac.New(sha256.New, macKey)
	h.Write(ad)
	h.Write(p.env.Ciphertext)
	if !hmac.Equal(h.Sum(nil), p.env.MAC) {
		t.Fatalf("the MAC is not over the reconstructed associated data %x", ad)
	}
}

// TestAssociatedDataIsWhatTheMACCovers: for a prekey message and an
// ordinary ratchet message, HMAC(message key, AssociatedData || ciphertext)
// equals the envelope's MAC.
func TestAssociatedDataIsWhatTheMACCovers(t *testing.T) {
	useFakeClock(t) // no paced turn becomes due while the test runs
	alice, bob := newParty(t, "alice", 1), newParty(t, "bob", 1)
	as, err := Initiate(alice.id, alice.name, bob.bundle(t))
	if err != nil {
		t.Fatal(err)
	}
	key := nextMACKey(t, as)
	pre := mustEncrypt(t, as, "first")
	ad, err := AssociatedData(pre, "alice", alice.id.Public(), "bob", bob.id.Public())
	if err != nil {
		t.Fatal(err)
	}
	checkMACOver(t, key, ad, pre)
	bs, _, _, err := Respond(bob.id, bob.name, alice.name, pre, bob.store)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := as.Decrypt(mustEncrypt(t, bs, "reply")); err != nil {
		t.Fatal(err)
	}
	key = nextMACKey(t, as)
	msg := mustEncrypt(t, as, "second")
	if h, _ := ParseHeader(msg); h.Prekey {
		t.Fatal("expected an ordinary ratchet message after the reply")
	}
	ad, err = AssociatedData(msg, "alice", alice.id.Public(), "bob", bob.id.Public())
	if err != nil {
		t.Fatal(err)
	}
	checkMACOver(t, key, ad, msg)
	if len(ad) != 1+33+33+1+5+1+3+1+33+4+4+1 {
		t.Fatalf("ratchet-message associated data has %d bytes", len(ad))
	}
}

// TestAssociatedDataBindsNames: swapping the direction (names and keys)
// gives other bytes, so the reconstruction is direction-specific.
func TestAssociatedDataBindsNames(t *testing.T) {
	alice, bob := newParty(t, "alice", 0), newParty(t, "bob", 0)
	as, err := Initiate(alice.id, alice.name, bob.bundle(t))
	if err != nil {
		t.Fatal(err)
	}
	env := mustEncrypt(t, as, "x")
	fwd, err1 := AssociatedData(env, "alice", alice.id.Public(), "bob", bob.id.Public())
	rel, err2 := AssociatedData(env, "alice", alice.id.Public(), "carol", bob.id.Public())
	if err1 != nil || err2 != nil || string(fwd) == string(rel) {
		t.Fatalf("names not bound: %v %v", err1, err2)
	}
}

// TestAssociatedDataWrongSenderKey: a prekey message's AD cannot be built
// for an identity other than the one the envelope carries.
func TestAssociatedDataWrongSenderKey(t *testing.T) {
	alice, bob := newParty(t, "alice", 0), newParty(t, "bob", 0)
	as, err := Initiate(alice.id, alice.name, bob.bundle(t))
	if err != nil {
		t.Fatal(err)
	}
	env := mustEncrypt(t, as, "x")
	if _, err := AssociatedData(env, "alice", bob.id.Public(), "bob", bob.id.Public()); !errors.Is(err, ErrOtherSession) {
		t.Fatalf("got %v, want ErrOtherSession", err)
	}
}

// TestAssociatedDataBadName: names must be normalised (a length byte must
// never wrap).
func TestAssociatedDataBadName(t *testing.T) {
	alice, bob := newParty(t, "alice", 0), newParty(t, "bob", 0)
	as, err := Initiate(alice.id, alice.name, bob.bundle(t))
	if err != nil {
		t.Fatal(err)
	}
	env := mustEncrypt(t, as, "x")
	if _, err := AssociatedData(env, "Alice", alice.id.Public(), "bob", bob.id.Public()); !errors.Is(err, ErrBadName) {
		t.Fatalf("got %v, want ErrBadName", err)
	}
}

// TestAssociatedDataMalformed: a truncated envelope is rejected.
func TestAssociatedDataMalformed(t *testing.T) {
	alice, bob := newParty(t, "alice", 0), newParty(t, "bob", 0)
	as, err := Initiate(alice.id, alice.name, bob.bundle(t))
	if err != nil {
		t.Fatal(err)
	}
	env := mustEncrypt(t, as, "x")
	if _, err := AssociatedData(env[:len(env)-1], "alice", alice.id.Public(), "bob", bob.id.Public()); !errors.Is(err, ErrMalformed) {
		t.Fatalf("got %v, want ErrMalformed", err)
	}
}
