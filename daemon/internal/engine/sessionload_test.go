package engine

import (
	"testing"

	"github.com/securep2p/securep2p/daemon/internal/e2e"
	"github.com/securep2p/securep2p/daemon/internal/store"
	"github.com/securep2p/securep2p/wire"
)

// countSessionLoads counts stored sessions parsed until the test ends.
func countSessionLoads(t *testing.T) *int {
	t.Helper()
	n, orig := new(int), unmarshalSession
	unmarshalSession = func(b []byte) (*e2e.Session, error) { *n++; return orig(b) }
	t.Cleanup(func() { unmarshalSession = orig })
	return n
}

// TestOrdinaryEnvelopeLoadsPrimaryOnly: bob holds decrypt-only sessions for
// alice (prekey messages of sessions she started and never continued). An
// ordinary message from alice, valid or junk, parses only the primary:
// decrypt-only sessions (up to MaxSkippedKeys keys each) only serve prekey
// messages.
func TestOrdinaryEnvelopeLoadsPrimaryOnly(t *testing.T) {
	alice, bob := newHandNode(t, "alice"), newHandNode(t, "bob")
	runScript(alice, bob, "a+ b+")
	settle(alice, bob)
	for i := range 3 { // three decrypt-only sessions at bob
		s, err := e2e.Initiate(alice.e.id, "alice", bob.bundle(false))
		if err != nil {
			t.Fatal(err)
		}
		env, err := s.Encrypt(textContent(t, "restart "+string(rune('0'+i))))
		if err != nil {
			t.Fatal(err)
		}
		id := store.NewID()
		if !bob.e.handleDeliver(&wire.Deliver{ID: id[:], From: "alice", Body: env}) {
			t.Fatal("prekey message not acknowledged")
		}
	}
	if _, _, ps, _ := bob.e.peerSessions("alice", true); len(ps.extra) != 3 {
		t.Fatalf("bob holds %d decrypt-only sessions, want 3", len(ps.extra))
	}
	alice.queue(bob, "ordinary")
	alice.queue(bob, "to be tampered with")
	alice.transmit(bob)
	env := append([]byte(nil), bob.box[1].env...)
	loads := countSessionLoads(t)
	bob.receive(0)
	if *loads != 1 {
		t.Errorf("a valid ordinary message loaded %d sessions, want 1 (the primary)", *loads)
	}
	env[len(env)-1] ^= 1 // the MAC fails
	*loads = 0
	id := store.NewID()
	if !bob.e.handleDeliver(&wire.Deliver{ID: id[:], From: "alice", Body: env}) {
		t.Fatal("junk envelope not acknowledged")
	}
	if *loads != 1 {
		t.Errorf("a junk ordinary message loaded %d sessions, want 1 (the primary)", *loads)
	}
	if bob.e.Undecryptable() != 1 {
		t.Fatalf("bob: %d undecryptable, want the junk one", bob.e.Undecryptable())
	}
}

func textContent(t *testing.T, s string) []byte {
	t.Helper()
	id := store.NewID()
	c, err := e2e.EncodeContent(&e2e.Content{Kind: e2e.KindText, Body: s, ID: id[:]})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
