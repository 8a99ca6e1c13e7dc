package secp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// The generator G in its encodings.
const (
	gX            = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
	gY            = "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8"
	orderN        = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
	orderNPlusOne = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364142"
)

func newKey(t testing.TB) *PrivateKey {
	t.Helper()
	k, err := GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParsePublicKeyAcceptsCompressed(t *testing.T) {
	b := mustHex(t, "02"+gX)
	p, err := ParsePublicKey(b)
	if err != nil || !bytes.Equal(p.Bytes(), b) || p.IsZero() {
		t.Fatalf("ParsePublicKey(G) = %x, %v", p.Bytes(), err)
	}
}

func TestParsePublicKeyRejectsHybrid(t *testing.T) {
	// G has even y, so 06||x||y is the hybrid form dcrd itself accepts.
	b := mustHex(t, "06"+gX+gY)
	if _, err := secp256k1.ParsePubKey(b); err != nil {
		t.Fatalf("precondition: dcrd should accept hybrid G: %v", err)
	}
	if _, err := ParsePublicKey(b); !errors.Is(err, ErrPublicKey) {
		t.Fatalf("hybrid point accepted: %v", err)
	}
}

func TestParsePublicKeyRejectsUncompressed(t *testing.T) {
	if _, err := ParsePublicKey(mustHex(t, "04"+gX+gY)); !errors.Is(err, ErrPublicKey) {
		t.Fatalf("uncompressed point accepted: %v", err)
	}
}

func TestParsePublicKeyRejectsInfinity(t *testing.T) {
	for _, enc := range []string{"00", "00" + strings.Repeat("00", 32)} {
		if _, err := ParsePublicKey(mustHex(t, enc)); !errors.Is(err, ErrPublicKey) {
			t.Fatalf("infinity encoding %s accepted: %v", enc, err)
		}
	}
}

func TestParsePublicKeyRejectsZero(t *testing.T) {
	// x = 0 has no y on secp256k1 (7 is not a square mod p).
	for _, prefix := range []string{"02", "03"} {
		if _, err := ParsePublicKey(mustHex(t, prefix+strings.Repeat("00", 32))); !errors.Is(err, ErrPublicKey) {
			t.Fatalf("x=0 with prefix %s accepted: %v", prefix, err)
		}
	}
	if !(PublicKey{}).IsZero() {
		t.Fatal("zero PublicKey not IsZero")
	}
}

func TestParsePublicKeyRejectsOffCurve(t *testing.T) {
	// x = 5: 5^3+7 = 132 is not a square mod p, so no point has this x.
	b := mustHex(t, "02"+strings.Repeat("00", 31)+"05")
	if _, err := ParsePublicKey(b); !errors.Is(err, ErrPublicKey) {
		t.Fatalf("x with no y accepted: %v", err)
	}
}

func TestParsePublicKeyRejectsXNotBelowP(t *testing.T) {
	// x = p + 1 (x = 1 does have a y, so the reduced value would be on the curve).
	b := mustHex(t, "02fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc30")
	if _, err := ParsePublicKey(b); !errors.Is(err, ErrPublicKey) {
		t.Fatalf("x >= p accepted: %v", err)
	}
}

func TestParsePrivateKeyRejectsZero(t *testing.T) {
	if _, err := ParsePrivateKey(make([]byte, PrivateKeySize)); !errors.Is(err, ErrPrivateKey) {
		t.Fatalf("zero scalar accepted: %v", err)
	}
}

func TestParsePrivateKeyRejectsOverflow(t *testing.T) {
	for _, s := range []string{orderN, orderNPlusOne, strings.Repeat("ff", 32)} {
		if _, err := ParsePrivateKey(mustHex(t, s)); !errors.Is(err, ErrPrivateKey) {
			t.Errorf("scalar %s accepted (dcrd would reduce it mod N): %v", s, err)
		}
	}
}

func TestParsePrivateKeyRejectsWrongLength(t *testing.T) {
	for _, n := range []int{0, 31, 33} {
		b := make([]byte, n)
		if n > 0 {
			b[n-1] = 1
		}
		if _, err := ParsePrivateKey(b); !errors.Is(err, ErrPrivateKey) {
			t.Errorf("%d-byte scalar accepted: %v", n, err)
		}
	}
}

func TestParsePrivateKeyRoundTrip(t *testing.T) {
	k := newKey(t)
	k2, err := ParsePrivateKey(k.Bytes())
	if err != nil || k2.Public() != k.Public() || !bytes.Equal(k2.Bytes(), k.Bytes()) {
		t.Fatalf("round trip failed: %v", err)
	}
	// N-1 is the largest valid scalar; its public key is -G (odd y).
	nMinus1 := mustHex(t, "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140")
	k3, err := ParsePrivateKey(nMinus1)
	if err != nil || hex.EncodeToString(k3.Public().Bytes()) != "03"+gX {
		t.Fatalf("N-1: %v, public %v", err, k3.Public())
	}
}

func TestECDHAgrees(t *testing.T) {
	a, b := newKey(t), newKey(t)
	s1, err1 := a.ECDH(b.Public())
	s2, err2 := b.ECDH(a.Public())
	if err1 != nil || err2 != nil || !bytes.Equal(s1, s2) || len(s1) != SharedSize {
		t.Fatalf("ECDH disagrees: %x %v / %x %v", s1, err1, s2, err2)
	}
}

// TestECDHRejectsZeroSecret: an all-zero secret cannot be reached through
// the API (the scalar is in [1, N-1], the point is a parsed, non-infinity
// point of a prime-order group, and no point has x = 0, see
// TestParsePublicKeyRejectsZero). So the test drives the check ECDH ends
// with directly, plus the two API paths that would lead to it: a zero
// public key value and a wiped private key.
func TestECDHRejectsZeroSecret(t *testing.T) {
	if _, err := checkShared(make([]byte, SharedSize)); !errors.Is(err, ErrShared) {
		t.Fatalf("all-zero secret accepted: %v", err)
	}
	one := make([]byte, SharedSize)
	one[31] = 1
	if s, err := checkShared(one); err != nil || !bytes.Equal(s, one) {
		t.Fatalf("secret 00..01 refused: %v", err)
	}
	k := newKey(t)
	if _, err := k.ECDH(PublicKey{}); !errors.Is(err, ErrPublicKey) {
		t.Fatalf("ECDH with the zero PublicKey: %v", err)
	}
	peer := newKey(t).Public()
	k.Wipe()
	if _, err := k.ECDH(peer); !errors.Is(err, ErrPrivateKey) {
		t.Fatalf("ECDH with a wiped key: %v", err)
	}
}

func sScalar(sig []byte) *secp256k1.ModNScalar {
	var s secp256k1.ModNScalar
	s.SetByteSlice(sig[32:])
	return &s
}

// highS returns sig with s replaced by N - s.
func highS(sig []byte) []byte {
	s := sScalar(sig)
	s.Negate()
	out := bytes.Clone(sig)
	s.PutBytesUnchecked(out[32:])
	return out
}

func TestSignLowS(t *testing.T) {
	k := newKey(t)
	for i := 0; i < 64; i++ {
		sig := k.Sign("test/low-s", []byte{byte(i)})
		if len(sig) != SignatureSize || sScalar(sig).IsOverHalfOrder() {
			t.Fatalf("message %d: signature %x is not a 64-byte low-S signature", i, sig)
		}
		if !k.Public().Verify("test/low-s", []byte{byte(i)}, sig) {
			t.Fatalf("message %d: own signature does not verify", i)
		}
	}
}

func TestVerifyRejectsHighS(t *testing.T) {
	k := newKey(t)
	msg := []byte("malleable?")
	hi := highS(k.Sign("test/high-s", msg))
	d := digest("test/high-s", msg)
	if !verifyHash(k.Public(), d[:], hi, false) {
		t.Fatal("precondition: the high-S twin is a valid plain ECDSA signature")
	}
	if k.Public().Verify("test/high-s", msg, hi) {
		t.Fatal("Verify accepted a high-S signature")
	}
}

func TestVerifyWrongLabel(t *testing.T) {
	k := newKey(t)
	sig := k.Sign("securep2p/v1/a", []byte("msg"))
	if k.Public().Verify("securep2p/v1/b", []byte("msg"), sig) {
		t.Fatal("signature verified under another label")
	}
	// The 0x00 separator: label "ab"+msg "c" differs from label "a"+msg "bc".
	sig = k.Sign("ab", []byte("c"))
	if k.Public().Verify("a", []byte("bc"), sig) {
		t.Fatal("label/message boundary is ambiguous")
	}
}

func TestVerifyWrongKey(t *testing.T) {
	sig := newKey(t).Sign("l", []byte("m"))
	if newKey(t).Public().Verify("l", []byte("m"), sig) {
		t.Fatal("signature verified under another key")
	}
	if (PublicKey{}).Verify("l", []byte("m"), sig) {
		t.Fatal("signature verified under the zero key")
	}
}

func TestVerifyRejectsBadSizesAndZero(t *testing.T) {
	k := newKey(t)
	sig := k.Sign("l", []byte("m"))
	for _, bad := range [][]byte{nil, sig[:63], append(bytes.Clone(sig), 0), make([]byte, 64)} {
		if k.Public().Verify("l", []byte("m"), bad) {
			t.Fatalf("accepted signature %x", bad)
		}
	}
	overR := bytes.Clone(sig)
	copy(overR[:32], mustHex(t, orderN))
	if k.Public().Verify("l", []byte("m"), overR) {
		t.Fatal("accepted r = N")
	}
}

func TestSignatureBitFlip(t *testing.T) {
	k := newKey(t)
	msg := []byte("flip me")
	sig := k.Sign("test/flip", msg)
	for bit := 0; bit < 8*SignatureSize; bit++ {
		bad := bytes.Clone(sig)
		bad[bit/8] ^= 1 << (bit % 8)
		if k.Public().Verify("test/flip", msg, bad) {
			t.Fatalf("signature with bit %d flipped verified", bit)
		}
	}
	for bit := 0; bit < 8*len(msg); bit++ {
		bad := bytes.Clone(msg)
		bad[bit/8] ^= 1 << (bit % 8)
		if k.Public().Verify("test/flip", bad, sig) {
			t.Fatalf("message with bit %d flipped verified", bit)
		}
	}
}

// scalarTraces lists strings that would betray the scalar: its hex, and each
// 32-bit word of dcrd's internal representation (what fmt prints for an
// unexported field) in decimal and hex, when long enough to be unambiguous.
func scalarTraces(k *PrivateKey) []string {
	traces := []string{hex.EncodeToString(k.Bytes())[:16]}
	words := reflect.ValueOf(k.k.Key).Field(0)
	for i := 0; i < words.Len(); i++ {
		w := words.Index(i).Uint()
		for _, s := range []string{strconv.FormatUint(w, 10), strconv.FormatUint(w, 16)} {
			if len(s) >= 7 {
				traces = append(traces, s)
			}
		}
	}
	return traces
}

func TestPrivateKeyNeverPrints(t *testing.T) {
	k := newKey(t)
	traces := scalarTraces(k)
	type holder struct {
		Key  PrivateKey
		Ptr  *PrivateKey
		Name string
	}
	values := []any{k, *k, holder{Key: *k, Ptr: k, Name: "x"}, &holder{Key: *k, Ptr: k}}
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%s", "%#v", "%x", "%X", "%q", "%d"} {
			out := strings.ToLower(fmt.Sprintf(verb, v))
			for _, tr := range traces {
				if strings.Contains(out, tr) {
					t.Fatalf("%s of %T leaks the scalar (%s): %s", verb, v, tr, out)
				}
			}
		}
	}
	if !strings.Contains(fmt.Sprint(k), k.Public().Fingerprint()) {
		t.Fatalf("String() = %q, want the public fingerprint", fmt.Sprint(k))
	}
}

func TestWipe(t *testing.T) {
	k := newKey(t)
	k.Wipe()
	if !bytes.Equal(k.Bytes(), make([]byte, PrivateKeySize)) {
		t.Fatal("Wipe left the scalar")
	}
}

func TestPublicKeyEqualAndFingerprint(t *testing.T) {
	a, b := newKey(t).Public(), newKey(t).Public()
	a2, _ := ParsePublicKey(a.Bytes())
	if a != a2 || !a.Equal(a2) || a.Equal(b) || a.Array() != a2.Array() {
		t.Fatal("equality broken")
	}
	if len(a.Fingerprint()) != 16 || a.Fingerprint() == b.Fingerprint() {
		t.Fatalf("fingerprint %q", a.Fingerprint())
	}
	a.Bytes()[1] ^= 1 // Bytes returns a copy
	if a != a2 {
		t.Fatal("Bytes aliases the key")
	}
}

func FuzzParsePublicKey(f *testing.F) {
	f.Add(mustHex(f, "02"+gX))
	f.Add(mustHex(f, "03"+gX))
	f.Add(mustHex(f, "04"+gX+gY))
	f.Add(mustHex(f, "06"+gX+gY))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePublicKey(b)
		if err != nil {
			return
		}
		if !bytes.Equal(p.Bytes(), b) || p.IsZero() {
			t.Fatalf("parsed %x re-encodes as %x", b, p.Bytes())
		}
		if _, err := secp256k1.ParsePubKey(b); err != nil {
			t.Fatalf("accepted a point dcrd refuses: %x", b)
		}
	})
}
