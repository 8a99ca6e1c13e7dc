// Package secp is SecureP2P's strict wrapper around dcrd's secp256k1: the only
// way the rest of the code touches elliptic-curve keys.
//
// # What it promises
//
//   - Public keys exist only as 33-byte compressed points (0x02/0x03 prefix).
//     Hybrid (0x06/0x07) and uncompressed encodings, the point at infinity and
//     points off the curve are rejected by [ParsePublicKey], so every key has
//     exactly one byte form.
//   - Private keys are loaded with overflow and zero checks ([ParsePrivateKey]);
//     dcrd's silent reduction mod N never reaches our code.
//   - [PrivateKey.ECDH] returns the 32-byte x-coordinate of the shared point and
//     refuses an all-zero result.
//   - Signatures are ECDSA over SHA-256(label || 0x00 || message), encoded as a
//     fixed 64-byte r||s with low S enforced on both signing and verification,
//     so signatures are not malleable. The label domain-separates every use.
//   - A [PrivateKey] cannot be compared with == and prints only the short
//     fingerprint of its public key; [PrivateKey.Wipe] zeroes it.
//
// # What it does not do
//
// dcrd's scalar multiplication in GenerateSharedSecret is not constant time;
// that is a known, documented risk of the chosen library (see wire/PROTOCOL.md).
package secp

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
)

// Sizes of the encodings this package accepts and produces.
const (
	PublicKeySize  = 33 // compressed point: 0x02|0x03 || x
	PrivateKeySize = 32 // big-endian scalar in [1, N-1]
	SignatureSize  = 64 // r || s, each 32 bytes big-endian, s <= N/2
	SharedSize     = 32 // x-coordinate of the ECDH point
)

// Errors returned by parsing and key agreement. They never contain key material.
var (
	ErrPublicKey  = errors.New("secp: invalid public key")
	ErrPrivateKey = errors.New("secp: invalid private key")
	ErrSignature  = errors.New("secp: invalid signature")
	ErrShared     = errors.New("secp: degenerate shared secret")
)

// PublicKey is a validated secp256k1 point. The zero value is not a valid key
// (IsZero reports it). PublicKey is comparable: two keys are == exactly when
// their compressed encodings are equal.
type PublicKey struct {
	b [PublicKeySize]byte
	y [32]byte // affine y, derived from b at parse time (saves a square root per use)
}

// fromPoint builds a PublicKey from a point known to be valid.
func fromPoint(k *secp256k1.PublicKey) PublicKey {
	var p PublicKey
	copy(p.b[:], k.SerializeCompressed())
	copy(p.y[:], k.SerializeUncompressed()[33:])
	return p
}

// ParsePublicKey accepts only a 33-byte compressed encoding of a point on the
// curve.
func ParsePublicKey(b []byte) (PublicKey, error) {
	if len(b) != PublicKeySize || (b[0] != 0x02 && b[0] != 0x03) {
		return PublicKey{}, ErrPublicKey
	}
	k, err := secp256k1.ParsePubKey(b)
	if err != nil {
		return PublicKey{}, ErrPublicKey
	}
	return fromPoint(k), nil
}

// Bytes returns the 33-byte compressed encoding.
func (p PublicKey) Bytes() []byte { b := p.b; return b[:] }

// Array returns the compressed encoding as an array.
func (p PublicKey) Array() [PublicKeySize]byte { return p.b }

// IsZero reports whether p is the zero value (no key).
func (p PublicKey) IsZero() bool { return p.b[0] == 0 }

// Fingerprint is the first 8 bytes of SHA-256 of the encoding, in hex: a short
// public name for logs and displays.
func (p PublicKey) Fingerprint() string {
	h := sha256.Sum256(p.b[:])
	return hex.EncodeToString(h[:8])
}

// String prints the full public key in hex.
func (p PublicKey) String() string { return hex.EncodeToString(p.b[:]) }

// Equal reports whether p and q are the same key.
func (p PublicKey) Equal(q PublicKey) bool { return p.b == q.b }

// point rebuilds the curve point from the validated encoding without
// another square root. The zero value is refused.
func (p PublicKey) point() (*secp256k1.PublicKey, error) {
	if p.IsZero() {
		return nil, ErrPublicKey
	}
	var x, y secp256k1.FieldVal
	x.SetByteSlice(p.b[1:])
	y.SetByteSlice(p.y[:])
	return secp256k1.NewPublicKey(&x, &y), nil
}

// PrivateKey is a secp256k1 scalar in [1, N-1]. It is not comparable with ==
// and never prints its value.
type PrivateKey struct {
	_   [0]func() // not comparable
	k   secp256k1.PrivateKey
	pub PublicKey
}

// GeneratePrivateKey returns a fresh key from crypto/rand.
func GeneratePrivateKey() (*PrivateKey, error) {
	k, err := secp256k1.GeneratePrivateKey()
	if err != nil {
		return nil, fmt.Errorf("secp: generate key: %w", err)
	}
	return newPrivateKey(k), nil
}

// ParsePrivateKey loads a 32-byte big-endian scalar, rejecting zero and any
// value >= N (instead of reducing it).
func ParsePrivateKey(b []byte) (*PrivateKey, error) {
	if len(b) != PrivateKeySize {
		return nil, ErrPrivateKey
	}
	var s secp256k1.ModNScalar
	if overflow := s.SetByteSlice(b); overflow || s.IsZero() {
		s.Zero()
		return nil, ErrPrivateKey
	}
	k := newPrivateKey(secp256k1.NewPrivateKey(&s))
	s.Zero()
	return k, nil
}

func newPrivateKey(k *secp256k1.PrivateKey) *PrivateKey {
	p := &PrivateKey{k: *k}
	p.pub = fromPoint(k.PubKey())
	k.Zero()
	return p
}

// Public returns the key's public half.
func (k *PrivateKey) Public() PublicKey { return k.pub }

// Bytes returns the 32-byte scalar, for storage only. Callers wipe the copy.
func (k *PrivateKey) Bytes() []byte { return k.k.Serialize() }

// Wipe zeroes the scalar. The key is unusable afterwards.
func (k *PrivateKey) Wipe() { k.k.Zero() }

// String prints only the public fingerprint. String, GoString and Format
// have value receivers so that a PrivateKey value (not only a pointer), or a
// struct holding one in an exported field, cannot print the scalar either.
func (k PrivateKey) String() string { return "secp.PrivateKey(" + k.pub.Fingerprint() + ")" }

// GoString keeps %#v from printing the scalar.
func (k PrivateKey) GoString() string { return k.String() }

// Format keeps every fmt verb from printing the scalar.
func (k PrivateKey) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }

// ECDH returns the x-coordinate of k*pub. An all-zero result (impossible for
// valid inputs, but checked) is refused.
func (k *PrivateKey) ECDH(pub PublicKey) ([]byte, error) {
	pk, err := pub.point()
	if err != nil {
		return nil, err
	}
	if k.k.Key.IsZero() {
		return nil, ErrPrivateKey
	}
	return checkShared(secp256k1.GenerateSharedSecret(&k.k, pk))
}

// checkShared refuses an all-zero shared secret. For a scalar in [1, N-1]
// and a point parsed by ParsePublicKey the product is never the point at
// infinity (the group has prime order) and no curve point has x = 0 (7 is
// not a square mod p), so this is defence in depth; it is tested directly.
func checkShared(s []byte) ([]byte, error) {
	var zero [SharedSize]byte
	if len(s) != SharedSize || subtle.ConstantTimeCompare(s, zero[:]) == 1 {
		return nil, ErrShared
	}
	return s, nil
}

// digest is the message actually signed: SHA-256(label || 0x00 || msg).
func digest(label string, msg []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(label))
	h.Write([]byte{0})
	h.Write(msg)
	var d [32]byte
	h.Sum(d[:0])
	return d
}

// Sign signs msg under the domain-separation label. The signature is
// deterministic (RFC 6979), 64 bytes, low S.
func (k *PrivateKey) Sign(label string, msg []byte) []byte {
	d := digest(label, msg)
	return signHash(&k.k, d[:])
}

func signHash(k *secp256k1.PrivateKey, hash []byte) []byte {
	sig := ecdsa.Sign(k, hash) // dcrd always produces low S
	r, s := sig.R(), sig.S()
	out := make([]byte, SignatureSize)
	r.PutBytesUnchecked(out[:32])
	s.PutBytesUnchecked(out[32:])
	return out
}

// Verify reports whether sig is a valid low-S signature by p over msg under
// label.
func (p PublicKey) Verify(label string, msg, sig []byte) bool {
	d := digest(label, msg)
	return verifyHash(p, d[:], sig, true)
}

// verifyHash checks an r||s signature over a 32-byte hash. With lowS, a
// signature whose s > N/2 is rejected.
func verifyHash(p PublicKey, hash, sig []byte, lowS bool) bool {
	if len(sig) != SignatureSize {
		return false
	}
	var r, s secp256k1.ModNScalar
	if r.SetByteSlice(sig[:32]) || s.SetByteSlice(sig[32:]) || r.IsZero() || s.IsZero() {
		return false
	}
	if lowS && s.IsOverHalfOrder() {
		return false
	}
	pk, err := p.point()
	if err != nil {
		return false
	}
	return ecdsa.NewSignature(&r, &s).Verify(hash, pk)
}
