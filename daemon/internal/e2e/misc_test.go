package e2e

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/securep2p/securep2p/wire/secp"
)

// TestSafetyNumberSymmetric: both sides compute the same 60-digit number.
func TestSafetyNumberSymmetric(t *testing.T) {
	a, b := newParty(t, "alice", 0), newParty(t, "bob", 0)
	ab := SafetyNumber("alice", a.id.Public(), "bob", b.id.Public())
	ba := SafetyNumber("bob", b.id.Public(), "alice", a.id.Public())
	if ab != ba {
		t.Fatalf("%s != %s", ab, ba)
	}
	if digits := strings.ReplaceAll(ab, " ", ""); len(digits) != 60 || strings.Trim(digits, "0123456789") != "" {
		t.Fatalf("not 60 digits: %q", ab)
	}
}

// TestSafetyNumberChanges: a different key or name on either side changes it.
func TestSafetyNumberChanges(t *testing.T) {
	a, b, c := newParty(t, "alice", 0), newParty(t, "bob", 0), newParty(t, "carol", 0)
	base := SafetyNumber("alice", a.id.Public(), "bob", b.id.Public())
	for name, other := range map[string]string{
		"bob key":    SafetyNumber("alice", a.id.Public(), "bob", c.id.Public()),
		"alice key":  SafetyNumber("alice", c.id.Public(), "bob", b.id.Public()),
		"bob name":   SafetyNumber("alice", a.id.Public(), "bobby", b.id.Public()),
		"alice name": SafetyNumber("alicia", a.id.Public(), "bob", b.id.Public()),
	} {
		if other == base {
			t.Errorf("changing %s left the safety number unchanged", name)
		}
	}
}

// TestSessionRoundTrip: a session serialised mid-conversation (skipped keys,
// retired chains, counters) continues exactly like the original.
func TestSessionRoundTrip(t *testing.T) {
	clk := useFakeClock(t)
	as, bs := establish(t, newParty(t, "alice", 1), newParty(t, "bob", 1))
	clk.advance(MinTurnInterval) // alice's "one" and bob's "turn" are DH-ratchet turns
	e0 := mustEncrypt(t, as, "zero")
	mustDecrypt(t, bs, mustEncrypt(t, as, "one"), "one")
	mustDecrypt(t, as, mustEncrypt(t, bs, "turn"), "turn")
	e2 := mustEncrypt(t, as, "two")
	e3 := mustEncrypt(t, as, "three")
	mustDecrypt(t, bs, e3, "three")
	blob := stateBytes(t, bs)
	restored, err := UnmarshalSession(blob)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stateBytes(t, restored), blob) {
		t.Fatal("re-serialised state differs")
	}
	if restored.PeerIdentity() != bs.PeerIdentity() || restored.SkippedKeys() != 2 {
		t.Fatalf("restored peer/skipped differ: %d", restored.SkippedKeys())
	}
	for _, s := range []*Session{bs, restored} {
		mustDecrypt(t, s, e0, "zero")
		mustDecrypt(t, s, e2, "two")
	}
	if x, y := mustEncrypt(t, bs, "same"), mustEncrypt(t, restored, "same"); !bytes.Equal(x, y) {
		t.Fatal("restored session encrypts differently")
	}
	if !bytes.Equal(stateBytes(t, bs), stateBytes(t, restored)) {
		t.Fatal("states diverged")
	}
	pending, err := Initiate(newParty(t, "carol", 0).id, "carol", newParty(t, "dave", 0).bundle(t))
	if err != nil {
		t.Fatal(err)
	}
	r2, err := UnmarshalSession(stateBytes(t, pending))
	if err != nil || !r2.AwaitingReply() {
		t.Fatalf("initiator round trip: %v", err)
	}
}

// secretsOf collects every secret a session state holds, as hex.
func secretsOf(t *testing.T, s *Session) []string {
	st := s.toState()
	out := []string{hex.EncodeToString(st.Root), hex.EncodeToString(st.SendPriv), hex.EncodeToString(st.SendCK)}
	if st.RecvCK != nil {
		out = append(out, hex.EncodeToString(st.RecvCK))
	}
	for r := st.Skipped; len(r) > 0; r = r[skippedRow:] {
		out = append(out, hex.EncodeToString(r[secp.PublicKeySize+4:skippedRow]))
	}
	return out
}

// TestDescribeShowsNoSecrets: Describe (and AssociatedData) of prekey and
// ratchet messages lists the public values and none of the keys (private, root, chain, skipped
// seeds, message keys, IVs) nor the plaintext.
func TestDescribeShowsNoSecrets(t *testing.T) {
	var secrets []string
	observeMessageKeys = func(k, iv []byte) {
		secrets = append(secrets, hex.EncodeToString(k), hex.EncodeToString(iv))
	}
	defer func() { observeMessageKeys = nil }()
	alice, bob := newParty(t, "alice", 1), newParty(t, "bob", 1)
	for _, p := range []*party{alice, bob} {
		secrets = append(secrets, hex.EncodeToString(p.id.Key().Bytes()))
		spk, _ := p.store.SignedPrekey(1)
		secrets = append(secrets, hex.EncodeToString(spk.Bytes()))
	}
	as, err := Initiate(alice.id, alice.name, bob.bundle(t))
	if err != nil {
		t.Fatal(err)
	}
	pre := mustEncrypt(t, as, "plaintext-secret-1")
	bs, _, _, err := Respond(bob.id, bob.name, alice.name, pre, bob.store)
	if err != nil {
		t.Fatal(err)
	}
	mustEncrypt(t, as, "skipped")
	msg := mustEncrypt(t, bs, "plaintext-secret-2")
	secrets = append(append(secrets, secretsOf(t, as)...), secretsOf(t, bs)...)
	for _, c := range []struct {
		env      []byte
		from, to *party
	}{{pre, alice, bob}, {msg, bob, alice}} {
		d, err := Describe(c.env)
		if err != nil {
			t.Fatal(err)
		}
		ad, err := AssociatedData(c.env, c.from.name, c.from.id.Public(), c.to.name, c.to.id.Public())
		if err != nil {
			t.Fatal(err)
		}
		js, _ := json.Marshal(struct {
			Description
			AD string
		}{d, hex.EncodeToString(ad)})
		for _, s := range append(secrets, hex.EncodeToString([]byte("plaintext-secret")), "plaintext-secret") {
			for i := 0; i+16 <= len(s); i += 8 { // any 8-byte window of a secret
				if strings.Contains(string(js), s[i:i+16]) {
					t.Fatalf("description leaks a secret: %s", js)
				}
			}
		}
		if d.RatchetKey == "" || d.MACSize != macSize || d.CiphertextSize != len("plaintext-secret-1") {
			t.Fatalf("description incomplete: %s", js)
		}
	}
}

// TestContentRoundTripAndBuckets: content pads to a documented bucket and
// decodes back.
func TestContentRoundTripAndBuckets(t *testing.T) {
	id := bytes.Repeat([]byte{7}, 16)
	for _, n := range []int{0, 1, 40, 100, 5000, MaxBody} {
		c := &Content{Kind: KindText, Body: strings.Repeat("a", n), SentAt: 1700000000000, ID: id}
		b, err := EncodeContent(c)
		if err != nil {
			t.Fatal(err)
		}
		if size, _ := Bucket(len(b) - 1); size != len(b) {
			t.Fatalf("body %d: %d bytes is not a bucket", n, len(b))
		}
		got, err := DecodeContent(b)
		if err != nil || got.Body != c.Body || got.SentAt != c.SentAt || !bytes.Equal(got.ID, id) {
			t.Fatalf("body %d: round trip: %v", n, err)
		}
	}
	r, err := EncodeContent(&Content{Kind: KindReceipt, ID: id, Refs: [][]byte{id}})
	if err != nil || len(r) != 64 {
		t.Fatalf("receipt: %v, %d bytes", err, len(r))
	}
}

// TestContentBadPadding: a content whose padding or bucket is wrong is
// rejected.
func TestContentBadPadding(t *testing.T) {
	b, err := EncodeContent(&Content{Kind: KindText, Body: "hi", ID: make([]byte, 16)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = DecodeContent(b[:len(b)-1])
	wantErr(t, err, ErrMalformed)
	b[len(b)-1] = 1
	_, err = DecodeContent(b)
	wantErr(t, err, ErrMalformed)
}

// TestIdentityAndPrekeyStoreRoundTrip: storage forms load back.
func TestIdentityAndPrekeyStoreRoundTrip(t *testing.T) {
	p := newParty(t, "alice", 10)
	b, err := p.id.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	id, err := ParseIdentity(b)
	if err != nil || id.Public() != p.id.Public() {
		t.Fatalf("identity: %v", err)
	}
	p.store.Consume(3)
	sb, err := p.store.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	st, err := ParsePrekeyStore(sb)
	if err != nil || st.OneTimeCount() != 9 {
		t.Fatalf("store: %v", err)
	}
	if _, err := st.OneTimePrekey(3); err == nil {
		t.Fatal("consumed prekey came back")
	}
	more, err := st.GenerateOneTime(2)
	if err != nil || more[0].ID != 11 {
		t.Fatalf("next id after reload: %v", err)
	}
	if again, _ := st.MarshalBinary(); bytes.Equal(again, sb) {
		t.Fatal("store did not change")
	}
}
