package e2e

import (
	"encoding/binary"
	"fmt"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

// Version is the end-to-end protocol version: carried in every envelope,
// bound into every MAC, and stored in serialised state.
//
// History:
//
//	1 (2026-11): X3DH-style setup, double ratchet, AES-256-CTR + HMAC-SHA-256.
const Version = 1

// Envelope limits.
const (
	MaxPlaintext   = 56 << 10 // bytes of plaintext in one envelope (the largest content bucket)
	MaxEnvelope    = wire.MaxBodySize
	MaxSkip        = 500 // message keys one envelope may skip in one chain
	MaxSkippedKeys = 800 // skipped message keys kept per session; the oldest are evicted
	MaxRetired     = 16  // previous peer ratchet keys remembered to report duplicates
)

// envelope is the CBOR form of an end-to-end message (Send.Body).
type envelope struct {
	Version    uint8       `cbor:"1,keyasint"`
	Prekey     *prekeyPart `cbor:"2,keyasint,omitempty"` // only until the peer replied
	Ratchet    []byte      `cbor:"3,keyasint"`           // sender ratchet public key, 33
	N          uint32      `cbor:"4,keyasint"`           // message number in the sending chain
	PN         uint32      `cbor:"5,keyasint"`           // length of the previous sending chain
	Ciphertext []byte      `cbor:"6,keyasint"`           // AES-256-CTR, 0..MaxPlaintext
	MAC        []byte      `cbor:"7,keyasint"`           // HMAC-SHA-256, 32
}

// prekeyPart is what a recipient needs to set up the session (X3DH).
type prekeyPart struct {
	Identity       []byte `cbor:"1,keyasint"`           // sender identity key, 33
	BaseKey        []byte `cbor:"2,keyasint"`           // sender ephemeral key, 33
	SignedPrekeyID uint32 `cbor:"3,keyasint"`           // recipient signed prekey used
	OneTimeID      uint32 `cbor:"4,keyasint,omitempty"` // recipient one-time prekey used; 0: none
}

// parsed is a decoded envelope within all length limits. Its keys are
// checked to be on the curve lazily (a point decompression costs more than
// the rest of a decryption): ratchet() parses the ratchet key only when it is
// not one the session already holds; prekey keys are parsed eagerly.
type parsed struct {
	env        envelope
	ratchetRaw [secp.PublicKeySize]byte
	identity   secp.PublicKey // zero unless prekey message
	baseKey    secp.PublicKey // zero unless prekey message
}

func parseEnvelope(b []byte) (*parsed, error) {
	if len(b) > MaxEnvelope {
		return nil, fmt.Errorf("%w: envelope of %d bytes", ErrMalformed, len(b))
	}
	p := &parsed{}
	if err := wire.Decode(b, &p.env); err != nil {
		return nil, fmt.Errorf("%w: envelope", ErrMalformed)
	}
	e := &p.env
	if e.Version != Version || len(e.Ratchet) != secp.PublicKeySize || len(e.Ciphertext) > MaxPlaintext || len(e.MAC) != macSize {
		return nil, fmt.Errorf("%w: envelope limits", ErrMalformed)
	}
	copy(p.ratchetRaw[:], e.Ratchet)
	if e.Prekey != nil {
		var err error
		if p.identity, err = secp.ParsePublicKey(e.Prekey.Identity); err != nil {
			return nil, fmt.Errorf("%w: identity key", ErrMalformed)
		}
		if p.baseKey, err = secp.ParsePublicKey(e.Prekey.BaseKey); err != nil {
			return nil, fmt.Errorf("%w: base key", ErrMalformed)
		}
	}
	return p, nil
}

// ratchet validates and returns the ratchet key.
func (p *parsed) ratchet() (secp.PublicKey, error) {
	k, err := secp.ParsePublicKey(p.ratchetRaw[:])
	if err != nil {
		return k, fmt.Errorf("%w: ratchet key", ErrMalformed)
	}
	return k, nil
}

// parseEnvelopeFull parses and validates every key.
func parseEnvelopeFull(b []byte) (*parsed, secp.PublicKey, error) {
	p, err := parseEnvelope(b)
	if err != nil {
		return nil, secp.PublicKey{}, err
	}
	r, err := p.ratchet()
	if err != nil {
		return nil, secp.PublicKey{}, err
	}
	return p, r, nil
}

// Header is the public part of an envelope, readable without keys.
type Header struct {
	Prekey          bool           // a prekey message (session setup data present)
	Identity        secp.PublicKey // sender identity key; zero unless Prekey
	BaseKey         secp.PublicKey // sender's setup key; zero unless Prekey
	SignedPrekeyID  uint32         // zero unless Prekey
	OneTimePrekeyID uint32         // zero when none was used
	Ratchet         secp.PublicKey // sender's current ratchet key
	N, PN           uint32         // message number; previous chain length
}

// ParseHeader validates an envelope and returns its public header, so the
// daemon can route it (Respond or Decrypt) and detect identity-key changes.
func ParseHeader(envelope []byte) (Header, error) {
	p, r, err := parseEnvelopeFull(envelope)
	if err != nil {
		return Header{}, err
	}
	return p.header(r), nil
}

// PeekIdentity returns the sender identity key of a prekey message (ok false
// for an ordinary message, whose sender is the session's peer).
func PeekIdentity(envelope []byte) (key secp.PublicKey, ok bool, err error) {
	h, err := ParseHeader(envelope)
	return h.Identity, h.Prekey, err
}

func (p *parsed) header(ratchet secp.PublicKey) Header {
	h := Header{Ratchet: ratchet, N: p.env.N, PN: p.env.PN}
	if pk := p.env.Prekey; pk != nil {
		h.Prekey, h.Identity, h.BaseKey = true, p.identity, p.baseKey
		h.SignedPrekeyID, h.OneTimePrekeyID = pk.SignedPrekeyID, pk.OneTimeID
	}
	return h
}

// appendHeader appends the MAC's binary header encoding:
// u8 version || ratchet(33) || be32 n || be32 pn || prekey, where prekey is
// 0x00, or 0x01 || identity(33) || base key(33) || be32 spk id || be32 otk id.
func appendHeader(dst []byte, e *envelope) []byte {
	dst = append(dst, e.Version)
	dst = append(dst, e.Ratchet...)
	dst = binary.BigEndian.AppendUint32(dst, e.N)
	dst = binary.BigEndian.AppendUint32(dst, e.PN)
	if e.Prekey == nil {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	dst = append(dst, e.Prekey.Identity...)
	dst = append(dst, e.Prekey.BaseKey...)
	dst = binary.BigEndian.AppendUint32(dst, e.Prekey.SignedPrekeyID)
	return binary.BigEndian.AppendUint32(dst, e.Prekey.OneTimeID)
}

// associatedData is u8 version || sender identity(33) || recipient
// identity(33) || u8 len || sender name || u8 len || recipient name.
func associatedData(senderKey, recipientKey secp.PublicKey, senderName, recipientName string) []byte {
	ad := make([]byte, 0, 1+2*secp.PublicKeySize+2+len(senderName)+len(recipientName))
	ad = append(ad, Version)
	ad = append(ad, senderKey.Bytes()...)
	ad = append(ad, recipientKey.Bytes()...)
	ad = append(ad, byte(len(senderName)))
	ad = append(ad, senderName...)
	ad = append(ad, byte(len(recipientName)))
	return append(ad, recipientName...)
}

// checkName requires a normalised username (which also bounds its length).
func checkName(name string) error {
	if n, ok := wire.NormalizeUsername(name); !ok || n != name {
		return ErrBadName
	}
	return nil
}
