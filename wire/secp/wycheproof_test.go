package secp

// Project Wycheproof secp256k1 vectors run against the wrapper.
//
// Our API takes only 33-byte compressed points and 32-byte scalars, so the
// test adapts the vectors' encodings (DER SubjectPublicKeyInfo, JWK,
// uncompressed points, DER signatures) before handing them to the wrapper.
// Each adaptation is strict and explained where it happens, and each one also
// asserts that the wrapper itself rejects the non-native form.

import (
	"bytes"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

var (
	errVector       = errors.New("vector rejected by the test's strict adapter")
	oidECPublicKey  = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidSecp256k1    = asn1.ObjectIdentifier{1, 3, 132, 0, 10}
	wycheproofFiles = "testdata"
)

type wpTest struct {
	TcID    int             `json:"tcId"`
	Comment string          `json:"comment"`
	Flags   []string        `json:"flags"`
	Public  json.RawMessage `json:"public"`
	Private json.RawMessage `json:"private"`
	Shared  string          `json:"shared"`
	Msg     string          `json:"msg"`
	Sig     string          `json:"sig"`
	Result  string          `json:"result"`
}

type wpGroup struct {
	PublicKey struct {
		Uncompressed string `json:"uncompressed"`
	} `json:"publicKey"`
	Tests []wpTest `json:"tests"`
}

type wpFile struct {
	NumberOfTests int       `json:"numberOfTests"`
	TestGroups    []wpGroup `json:"testGroups"`
}

func loadWycheproof(t *testing.T, name string) wpFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(wycheproofFiles, name))
	if err != nil {
		t.Fatal(err)
	}
	var f wpFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range f.TestGroups {
		n += len(g.Tests)
	}
	if n != f.NumberOfTests || n == 0 {
		t.Fatalf("%s: loaded %d tests, file says %d", name, n, f.NumberOfTests)
	}
	return f
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hasFlag(tc wpTest, flag string) bool {
	for _, f := range tc.Flags {
		if f == flag {
			return true
		}
	}
	return false
}

// fixedScalar turns a Wycheproof private key (minimal big-endian, possibly
// with a leading 00 sign byte or fewer than 32 bytes) into our 32-byte form.
func fixedScalar(b []byte) ([]byte, error) {
	for len(b) > PrivateKeySize && b[0] == 0 {
		b = b[1:]
	}
	if len(b) > PrivateKeySize {
		return nil, errVector
	}
	out := make([]byte, PrivateKeySize)
	copy(out[PrivateKeySize-len(b):], b)
	return out, nil
}

// wrapperPoint hands a raw SEC1 point to the wrapper. Compressed points go
// straight to ParsePublicKey. The wrapper must reject every other form
// (uncompressed 04, hybrid 06/07, anything else); that is asserted. An
// uncompressed point is then converted by the test, because a peer using our
// protocol would send its compressed form: compression keeps x and the parity
// of y, and it is lossless only for a point on the curve, so the test
// decompresses the result again and requires the exact 65 input bytes back.
// A point off the curve (an invalid-curve attack) fails here and is rejected.
// Hybrid points are never converted: that encoding is refused outright.
func wrapperPoint(t *testing.T, raw []byte) (PublicKey, error) {
	t.Helper()
	if len(raw) == PublicKeySize {
		return ParsePublicKey(raw)
	}
	if _, err := ParsePublicKey(raw); err == nil {
		t.Fatalf("wrapper accepted a %d-byte non-compressed point %x", len(raw), raw)
	}
	if len(raw) != 65 || raw[0] != 0x04 {
		return PublicKey{}, errVector
	}
	comp := make([]byte, PublicKeySize)
	comp[0] = 0x02 | raw[64]&1
	copy(comp[1:], raw[1:33])
	p, err := ParsePublicKey(comp)
	if err != nil {
		return PublicKey{}, err
	}
	full, err := secp256k1.ParsePubKey(p.Bytes())
	if err != nil || !bytes.Equal(full.SerializeUncompressed(), raw) {
		return PublicKey{}, errVector // not on the curve: y does not belong to x
	}
	return p, nil
}

type spki struct {
	Algorithm struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue `asn1:"optional"`
	}
	PublicKey asn1.BitString
}

// parseSPKI is a strict DER SubjectPublicKeyInfo parser for secp256k1 (the
// x509 package does not know the curve): id-ecPublicKey with the named curve
// secp256k1 only, no trailing bytes, and the input must be exactly what
// re-encoding the parsed structure gives (so BER forms such as long-form
// lengths are refused).
func parseSPKI(der []byte) ([]byte, error) {
	var s spki
	rest, err := asn1.Unmarshal(der, &s)
	if err != nil || len(rest) != 0 || !s.Algorithm.Algorithm.Equal(oidECPublicKey) {
		return nil, errVector
	}
	var curve asn1.ObjectIdentifier
	rest, err = asn1.Unmarshal(s.Algorithm.Parameters.FullBytes, &curve)
	if err != nil || len(rest) != 0 || !curve.Equal(oidSecp256k1) || s.PublicKey.BitLength%8 != 0 {
		return nil, errVector
	}
	again, err := asn1.Marshal(s)
	if err != nil || !bytes.Equal(again, der) {
		return nil, errVector
	}
	return s.PublicKey.Bytes, nil
}

// ecdhWith runs the wrapper's ECDH for one vector, given the raw public point.
func ecdhWith(t *testing.T, tc wpTest, priv []byte, raw []byte) ([]byte, error) {
	pub, err := wrapperPoint(t, raw)
	if err != nil {
		return nil, err
	}
	d, err := fixedScalar(priv)
	if err != nil {
		return nil, err
	}
	k, err := ParsePrivateKey(d)
	if err != nil {
		t.Fatalf("tc %d: valid-range private key %x refused: %v", tc.TcID, d, err)
	}
	return k.ECDH(pub)
}

// ecdhAcceptable is our decision for each Wycheproof "acceptable" ECDH flag
// (true = we accept and the secret must match, false = we reject).
var ecdhAcceptable = map[string]bool{
	// A compressed point in the SPKI: compressed is our only native form.
	"CompressedPublic": true,
	// DER errors in the SPKI (BER lengths, wrong tags, trailing bytes...).
	// Our protocol never carries ASN.1, and the test's parser is strict DER.
	"InvalidAsn": false,
	// Explicit curve parameters instead of the secp256k1 OID. Keys on our
	// wire have no parameters at all; a key claiming other parameters is
	// not a secp256k1 key as far as we are concerned.
	"UnnamedCurve": false,
}

func ecdhDecision(t *testing.T, tc wpTest) bool {
	t.Helper()
	for _, f := range []string{"CompressedPublic", "InvalidAsn", "UnnamedCurve"} {
		if hasFlag(tc, f) {
			return ecdhAcceptable[f]
		}
	}
	t.Fatalf("tc %d: acceptable case with undecided flags %v", tc.TcID, tc.Flags)
	return false
}

func checkECDH(t *testing.T, tc wpTest, got []byte, err error) {
	t.Helper()
	want := tc.Result == "valid" || tc.Result == "acceptable" && ecdhDecision(t, tc)
	switch {
	case want && err != nil:
		t.Errorf("tc %d (%s, %v): rejected: %v", tc.TcID, tc.Comment, tc.Flags, err)
	case want && !bytes.Equal(got, mustHex(t, tc.Shared)):
		t.Errorf("tc %d (%s): shared %x, want %s", tc.TcID, tc.Comment, got, tc.Shared)
	case !want && err == nil:
		t.Errorf("tc %d (%s, %v, %s): accepted", tc.TcID, tc.Comment, tc.Flags, tc.Result)
	}
}

func TestWycheproofECDH(t *testing.T) {
	f := loadWycheproof(t, "ecdh_secp256k1_test.json")
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			var pubDER, priv string
			if json.Unmarshal(tc.Public, &pubDER) != nil || json.Unmarshal(tc.Private, &priv) != nil {
				t.Fatalf("tc %d: unexpected key encoding", tc.TcID)
			}
			var got []byte
			raw, err := parseSPKI(mustHex(t, pubDER))
			if err == nil {
				got, err = ecdhWith(t, tc, mustHex(t, priv), raw)
			}
			checkECDH(t, tc, got, err)
		}
	}
}

type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	D   string `json:"d"`
}

// jwkPoint turns a JWK into a raw uncompressed point: kty EC, crv P-256K,
// 32-byte x and y only (a secp256r1 key with a point that happens to lie on
// secp256k1 is still the wrong curve).
func jwkPoint(j jwk) ([]byte, error) {
	x, errX := base64.RawURLEncoding.DecodeString(j.X)
	y, errY := base64.RawURLEncoding.DecodeString(j.Y)
	if j.Kty != "EC" || j.Crv != "P-256K" || errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
		return nil, errVector
	}
	return append(append([]byte{0x04}, x...), y...), nil
}

func TestWycheproofECDHWebCrypto(t *testing.T) {
	f := loadWycheproof(t, "ecdh_secp256k1_webcrypto_test.json")
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			var pub, priv jwk
			if json.Unmarshal(tc.Public, &pub) != nil || json.Unmarshal(tc.Private, &priv) != nil {
				t.Fatalf("tc %d: unexpected key encoding", tc.TcID)
			}
			d, err := base64.RawURLEncoding.DecodeString(priv.D)
			if err != nil {
				t.Fatal(err)
			}
			if tc.Result == "acceptable" {
				t.Fatalf("tc %d: the webcrypto file has no acceptable cases; decide one", tc.TcID)
			}
			var got []byte
			raw, err := jwkPoint(pub)
			if err == nil {
				got, err = ecdhWith(t, tc, d, raw)
			}
			checkECDH(t, tc, got, err)
		}
	}
}

// parseDERSig is a strict DER ECDSA-Sig-Value parser: SEQUENCE of two
// positive INTEGERs in minimal form, no trailing bytes, and the input must be
// exactly the re-encoding (BER variants are rejected). It returns the 64-byte
// r||s form our wrapper takes; values that need more than 32 bytes cannot be
// below N and are refused here.
func parseDERSig(der []byte) ([]byte, error) {
	var v struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &v)
	if err != nil || len(rest) != 0 || v.R.Sign() <= 0 || v.S.Sign() <= 0 {
		return nil, errVector
	}
	again, err := asn1.Marshal(v)
	if err != nil || !bytes.Equal(again, der) || v.R.BitLen() > 256 || v.S.BitLen() > 256 {
		return nil, errVector
	}
	sig := make([]byte, SignatureSize)
	v.R.FillBytes(sig[:32])
	v.S.FillBytes(sig[32:])
	return sig, nil
}

// runECDSA checks every vector of one file. sigOf adapts the file's
// signature encoding. lowS is what the file requires of high-S signatures.
// The ECDSA files have no "acceptable" cases; one appearing fails the test.
func runECDSA(t *testing.T, name string, sigOf func([]byte) ([]byte, error), lowS bool) {
	f := loadWycheproof(t, name)
	for _, g := range f.TestGroups {
		pub, err := wrapperPoint(t, mustHex(t, g.PublicKey.Uncompressed))
		if err != nil {
			t.Fatalf("%s: group key refused: %v", name, err)
		}
		for _, tc := range g.Tests {
			checkECDSA(t, pub, tc, sigOf, lowS)
		}
	}
}

func checkECDSA(t *testing.T, pub PublicKey, tc wpTest, sigOf func([]byte) ([]byte, error), lowS bool) {
	t.Helper()
	h := sha256.Sum256(mustHex(t, tc.Msg))
	sig, err := sigOf(mustHex(t, tc.Sig))
	ok := err == nil && verifyHash(pub, h[:], sig, lowS)
	switch tc.Result {
	case "valid":
		if !ok {
			t.Errorf("tc %d (%s, %v): valid signature rejected", tc.TcID, tc.Comment, tc.Flags)
		}
		if ok && !lowS && isHighS(sig) && verifyHash(pub, h[:], sig, true) {
			t.Errorf("tc %d: high-S signature passed the low-S check Verify uses", tc.TcID)
		}
	case "invalid":
		if ok {
			t.Errorf("tc %d (%s, %v): invalid signature accepted", tc.TcID, tc.Comment, tc.Flags)
		}
	default:
		t.Fatalf("tc %d: result %q needs a decision", tc.TcID, tc.Result)
	}
}

func isHighS(sig []byte) bool {
	var s secp256k1.ModNScalar
	s.SetByteSlice(sig[32:])
	return s.IsOverHalfOrder()
}

func rawSig(b []byte) ([]byte, error) { return b, nil }

func TestWycheproofECDSA(t *testing.T) {
	// This file treats high-S signatures as valid (plain ECDSA), so the
	// vectors run with lowS=false; checkECDSA also shows the low-S check
	// that the public Verify applies would refuse each high-S one.
	runECDSA(t, "ecdsa_secp256k1_sha256_test.json", parseDERSig, false)
}

func TestWycheproofECDSABitcoin(t *testing.T) {
	// Bitcoin's rules: high-S is invalid. This is the check Verify uses.
	runECDSA(t, "ecdsa_secp256k1_sha256_bitcoin_test.json", parseDERSig, true)
}

func TestWycheproofECDSAP1363(t *testing.T) {
	// Fixed-width r||s, our own signature encoding: the bytes go to the
	// wrapper unchanged, so wrong sizes are the wrapper's to refuse.
	runECDSA(t, "ecdsa_secp256k1_sha256_p1363_test.json", rawSig, false)
}

func TestWycheproofHighSCounted(t *testing.T) {
	// The plain-ECDSA file must contain valid high-S signatures, otherwise
	// the high-S assertion in checkECDSA would prove nothing.
	f := loadWycheproof(t, "ecdsa_secp256k1_sha256_p1363_test.json")
	n := 0
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			if sig := mustHex(t, tc.Sig); tc.Result == "valid" && len(sig) == SignatureSize && isHighS(sig) {
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no valid high-S vectors found")
	}
}
