package e2e

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

// x3dhSecret is HKDF-SHA-256(salt = 32 zero bytes, ikm = 32 x 0xFF || DH1 ||
// DH2 || DH3 [|| DH4], info = labelX3DH, L = 32). The 0xFF prefix is X3DH's
// domain prefix F.
func x3dhSecret(dhs ...[]byte) ([keySize]byte, error) {
	ikm := bytes.Repeat([]byte{0xff}, keySize)
	for _, d := range dhs {
		ikm = append(ikm, d...)
	}
	defer clear(ikm)
	var sk [keySize]byte
	out, err := hkdf.Key(sha256.New, ikm, make([]byte, keySize), labelX3DH, keySize)
	if err != nil {
		return sk, fmt.Errorf("e2e: x3dh kdf: %w", err)
	}
	copy(sk[:], out)
	clear(out)
	return sk, nil
}

// agree computes the ECDH outputs of a list of (private, public) pairs.
func agree(pairs ...keyPair) ([][]byte, error) {
	out := make([][]byte, 0, len(pairs))
	for _, p := range pairs {
		dh, err := p.priv.ECDH(p.pub)
		if err != nil {
			wipeAll(out)
			return nil, fmt.Errorf("%w: key agreement", ErrAuth)
		}
		out = append(out, dh)
	}
	return out, nil
}

type keyPair struct {
	priv *secp.PrivateKey
	pub  secp.PublicKey
}

func wipeAll(bs [][]byte) {
	for _, b := range bs {
		clear(b)
	}
}

// Initiate verifies the peer's bundle and sets up a session to it (X3DH as
// the initiator). Every Encrypt on the result is a prekey message until the
// peer replies.
func Initiate(self *Identity, selfName string, b *wire.Bundle) (*Session, error) {
	if err := checkName(selfName); err != nil {
		return nil, err
	}
	bb, err := parseBundle(b)
	if err != nil {
		return nil, err
	}
	if bb.name == selfName {
		return nil, fmt.Errorf("%w: session with oneself", ErrBadName)
	}
	ek, err := newPrivateKey()
	if err != nil {
		return nil, fmt.Errorf("e2e: base key: %w", err)
	}
	defer ek.Wipe()
	pairs := []keyPair{{self.key, bb.spk}, {ek, bb.identity}, {ek, bb.spk}}
	if bb.otkID != 0 {
		pairs = append(pairs, keyPair{ek, bb.otk})
	}
	return initiateWith(self, selfName, bb, ek, pairs)
}

func initiateWith(self *Identity, selfName string, bb *bundle, ek *secp.PrivateKey, pairs []keyPair) (*Session, error) {
	dhs, err := agree(pairs...)
	if err != nil {
		return nil, err
	}
	sk, err := x3dhSecret(dhs...)
	wipeAll(dhs)
	if err != nil {
		return nil, err
	}
	ratchet, err := newPrivateKey()
	if err != nil {
		return nil, fmt.Errorf("e2e: ratchet key: %w", err)
	}
	root, sendCK, err := dhStep(&sk, ratchet, bb.spk)
	if err != nil {
		ratchet.Wipe()
		return nil, err
	}
	s := newSession(selfName, bb.name, self.Public(), bb.identity)
	s.st = ratchetState{root: root, sendPriv: ratchet, sendCK: sendCK, recvPub: bb.spk, lastTurn: nowMillis(),
		prekey: &prekeyPart{Identity: self.Public().Bytes(), BaseKey: ek.Public().Bytes(),
			SignedPrekeyID: bb.spkID, OneTimeID: bb.otkID}}
	return s, nil
}

// Respond sets up a session from an incoming prekey message (X3DH as the
// responder) and decrypts it. peerName is the sender as the relay reported
// it; it is bound into the MAC, so a relabelled sender fails. oneTimeID is
// the one-time prekey the message used (0: none): consume it from the store
// after persisting the session. On error nothing is consumed or changed.
func Respond(self *Identity, selfName, peerName string, envelope []byte, prekeys Prekeys) (s *Session, plaintext []byte, oneTimeID uint32, err error) {
	if checkName(selfName) != nil || checkName(peerName) != nil || selfName == peerName {
		return nil, nil, 0, ErrBadName
	}
	p, err := parseEnvelope(envelope)
	if err != nil {
		return nil, nil, 0, err
	}
	pk := p.env.Prekey
	if pk == nil {
		return nil, nil, 0, ErrNotPrekeyMessage
	}
	spk, err := prekeys.SignedPrekey(pk.SignedPrekeyID)
	if err != nil {
		return nil, nil, 0, err
	}
	pairs := []keyPair{{spk, p.identity}, {self.key, p.baseKey}, {spk, p.baseKey}}
	if pk.OneTimeID != 0 {
		otk, err := prekeys.OneTimePrekey(pk.OneTimeID)
		if err != nil {
			return nil, nil, 0, err
		}
		pairs = append(pairs, keyPair{otk, p.baseKey})
	}
	s, err = respondWith(self, selfName, peerName, p, spk, pairs)
	if err != nil {
		return nil, nil, 0, err
	}
	plaintext, err = s.decrypt(p)
	if err != nil {
		s.st.sendPriv.Wipe()
		return nil, nil, 0, err
	}
	return s, plaintext, pk.OneTimeID, nil
}

func respondWith(self *Identity, selfName, peerName string, p *parsed, spk *secp.PrivateKey, pairs []keyPair) (*Session, error) {
	dhs, err := agree(pairs...)
	if err != nil {
		return nil, err
	}
	sk, err := x3dhSecret(dhs...)
	wipeAll(dhs)
	if err != nil {
		return nil, err
	}
	spkBytes := spk.Bytes()
	own, err := secp.ParsePrivateKey(spkBytes) // the session wipes its copy after the first turn
	clear(spkBytes)
	if err != nil {
		return nil, fmt.Errorf("%w: signed prekey", ErrUnknownPrekey)
	}
	s := newSession(selfName, peerName, self.Public(), p.identity)
	s.st = ratchetState{root: sk, sendPriv: own, baseKey: p.baseKey}
	return s, nil
}
