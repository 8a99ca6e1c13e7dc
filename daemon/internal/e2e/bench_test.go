package e2e

import (
	"testing"

	"github.com/securep2p/securep2p/wire/secp"
)

var benchPlain = make([]byte, 200)

// BenchmarkEncrypt200: one ratchet message of 200 bytes (chain step, key
// expansion, AES-256-CTR, HMAC, CBOR envelope).
func BenchmarkEncrypt200(b *testing.B) {
	as, _ := establish(b, newParty(b, "alice", 0), newParty(b, "bob", 0))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := as.Encrypt(benchPlain); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecrypt200: decrypting in-order 200-byte messages.
func BenchmarkDecrypt200(b *testing.B) {
	as, bs := establish(b, newParty(b, "alice", 0), newParty(b, "bob", 0))
	const batch = 4096
	envs := make([][]byte, batch)
	fill := func() {
		for i := range envs {
			envs[i], _ = as.Encrypt(benchPlain)
		}
	}
	fill()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == batch {
			b.StopTimer()
			fill()
			i = 0
			b.StartTimer()
		}
		if _, err := bs.Decrypt(envs[i]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkDHRatchetTurn: receiving a message under a new ratchet key (two
// ECDH, one key generation, two root KDF steps) plus the encryption that
// produced it.
func BenchmarkDHRatchetTurn(b *testing.B) {
	as, bs := establish(b, newParty(b, "alice", 0), newParty(b, "bob", 0))
	unpaced(as, bs) // every message turns
	s, r := as, bs
	for b.Loop() {
		env, err := s.Encrypt(benchPlain)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Decrypt(env); err != nil {
			b.Fatal(err)
		}
		s, r = r, s
	}
}

// BenchmarkPingPong200: a conversation of 200-byte messages alternating
// between two sessions with the default pacing (a DH turn at most every
// MinTurnInterval or MaxChainMessages per side); per message: one Encrypt
// and one Decrypt.
func BenchmarkPingPong200(b *testing.B) {
	as, bs := establish(b, newParty(b, "alice", 0), newParty(b, "bob", 0))
	pingPong(b, as, bs)
}

// BenchmarkPingPong200EveryTurn: as BenchmarkPingPong200 with a DH turn on
// every message (the unpaced double ratchet), for comparison.
func BenchmarkPingPong200EveryTurn(b *testing.B) {
	as, bs := establish(b, newParty(b, "alice", 0), newParty(b, "bob", 0))
	unpaced(as, bs)
	pingPong(b, as, bs)
}

func pingPong(b *testing.B, as, bs *Session) {
	b.ReportAllocs()
	s, r := as, bs
	for b.Loop() {
		env, err := s.Encrypt(benchPlain)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Decrypt(env); err != nil {
			b.Fatal(err)
		}
		s, r = r, s
	}
}

// BenchmarkSessionSetup: bundle verification, X3DH (with a one-time
// prekey) and the first message.
func BenchmarkSessionSetup(b *testing.B) {
	alice, bob := newParty(b, "alice", 0), newParty(b, "bob", 1)
	bundle := bob.bundle(b)
	for b.Loop() {
		s, err := Initiate(alice.id, alice.name, bundle)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Encrypt(benchPlain); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDHTurnSendHalf: the sending half of a DH-ratchet turn, what a
// paced turn costs at Encrypt: a fresh ratchet key and one root step
// (ECDH + KDF_RK). The reference, keygen + ECDH, is this.
func BenchmarkDHTurnSendHalf(b *testing.B) {
	as, _ := establish(b, newParty(b, "alice", 0), newParty(b, "bob", 0))
	st := as.st
	if st.recvPub.IsZero() {
		b.Fatal("no peer ratchet key to turn against")
	}
	for b.Loop() {
		next, err := sendTurn(st)
		if err != nil {
			b.Fatal(err)
		}
		next.sendPriv.Wipe()
	}
}

// BenchmarkDHTurnReceiveHalf: the receiving half, done when a message
// under a new peer ratchet key is decrypted: one root step (ECDH + KDF_RK)
// with our current ratchet key.
func BenchmarkDHTurnReceiveHalf(b *testing.B) {
	as, _ := establish(b, newParty(b, "alice", 0), newParty(b, "bob", 0))
	peer, err := secp.GeneratePrivateKey()
	if err != nil {
		b.Fatal(err)
	}
	pub := peer.Public()
	for b.Loop() {
		if _, _, err := dhStep(&as.st.root, as.st.sendPriv, pub); err != nil {
			b.Fatal(err)
		}
	}
}

// fullSkipped returns bob's session holding MaxSkippedKeys skipped keys
// over two of alice's chains.
func fullSkipped(tb testing.TB) *Session {
	tb.Helper()
	as, bs := establish(tb, newParty(tb, "alice", 0), newParty(tb, "bob", 0))
	unpaced(as, bs)
	first := MaxSkippedKeys / 2
	for i, n := range []int{first, MaxSkippedKeys - first} {
		var last []byte
		for range n + 1 {
			last = mustEncrypt(tb, as, "m")
		}
		mustDecrypt(tb, bs, last, "m")
		if i == 0 {
			mustDecrypt(tb, as, mustEncrypt(tb, bs, "turn"), "turn")
		}
	}
	if bs.SkippedKeys() != MaxSkippedKeys {
		tb.Fatalf("skipped keys = %d", bs.SkippedKeys())
	}
	return bs
}

// BenchmarkUnmarshalSessionWith800Skipped: loading a session state holding
// the full skipped-key store (the engine loads up to 5 sessions per
// envelope).
func BenchmarkUnmarshalSessionWith800Skipped(b *testing.B) {
	raw := stateBytes(b, fullSkipped(b))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := UnmarshalSession(raw); err != nil {
			b.Fatal(err)
		}
	}
}
