package e2e

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

// sessionState is the versioned CBOR form of a Session. It holds the root
// key, chain keys, our ratchet private key and skipped message-key seeds:
// store it as a secret.
type sessionState struct {
	Version  uint8       `cbor:"1,keyasint"`
	SelfName string      `cbor:"2,keyasint"`
	PeerName string      `cbor:"3,keyasint"`
	SelfKey  []byte      `cbor:"4,keyasint"` // 33
	PeerKey  []byte      `cbor:"5,keyasint"` // 33
	Root     []byte      `cbor:"6,keyasint"` // 32
	SendPriv []byte      `cbor:"7,keyasint"` // 32
	SendCK   []byte      `cbor:"8,keyasint"` // 32
	SendN    uint32      `cbor:"9,keyasint"`
	PN       uint32      `cbor:"10,keyasint"`
	RecvPub  []byte      `cbor:"11,keyasint,omitempty"` // 33; absent on a fresh responder (never stored)
	RecvCK   []byte      `cbor:"12,keyasint,omitempty"` // 32 when a receiving chain exists
	RecvN    uint32      `cbor:"13,keyasint,omitempty"`
	Prekey   *prekeyPart `cbor:"14,keyasint,omitempty"`
	BaseKey  []byte      `cbor:"15,keyasint,omitempty"` // 33
	Retired  []byte      `cbor:"16,keyasint,omitempty"` // n x 33, oldest first
	Skipped  []byte      `cbor:"17,keyasint,omitempty"` // n x (33 key || be32 n || 32 seed), oldest first
	// Since version 2 (paced sending-side turns, pacing.go):
	TurnPending bool   `cbor:"18,keyasint,omitempty"` // the sending half of a DH step is pending
	LastTurn    uint64 `cbor:"19,keyasint,omitempty"` // Unix ms of our last sending-side turn
}

// sessionStateVersion is the version of sessionState (independent of the
// protocol Version carried in envelopes).
//
// History:
//
//	1: first form.
//	2: paced sending-side turns: TurnPending and LastTurn. Version 1 states
//	   are still read: they never have a pending turn, and LastTurn 0 makes
//	   the next turn due at once.
const sessionStateVersion = 2

const skippedRow = secp.PublicKeySize + 4 + keySize

// MarshalBinary returns the session's versioned CBOR form.
func (s *Session) MarshalBinary() ([]byte, error) {
	st := s.toState()
	defer st.wipe()
	return wire.Encode(st)
}

func (s *Session) toState() *sessionState {
	st := &sessionState{Version: sessionStateVersion, SelfName: s.selfName, PeerName: s.peerName,
		SelfKey: s.selfKey.Bytes(), PeerKey: s.peerKey.Bytes(), Root: clone(s.st.root[:]),
		SendPriv: s.st.sendPriv.Bytes(), SendCK: clone(s.st.sendCK[:]), SendN: s.st.sendN, PN: s.st.pn,
		RecvN: s.st.recvN, Prekey: s.st.prekey, TurnPending: s.st.turnPending, LastTurn: uint64(s.st.lastTurn)}
	if !s.st.recvPub.IsZero() {
		st.RecvPub = s.st.recvPub.Bytes()
	}
	if s.st.hasRecv {
		st.RecvCK = clone(s.st.recvCK[:])
	}
	if !s.st.baseKey.IsZero() {
		st.BaseKey = s.st.baseKey.Bytes()
	}
	for _, r := range s.retired {
		st.Retired = append(st.Retired, r[:]...)
	}
	for _, k := range s.skipped.live() {
		seed := s.skipped.m[k]
		st.Skipped = append(st.Skipped, k.pub[:]...)
		st.Skipped = binary.BigEndian.AppendUint32(st.Skipped, k.n)
		st.Skipped = append(st.Skipped, seed[:]...)
	}
	return st
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

func (st *sessionState) wipe() {
	clear(st.Root)
	clear(st.SendPriv)
	clear(st.SendCK)
	clear(st.RecvCK)
	clear(st.Skipped)
}

// UnmarshalSession loads what MarshalBinary produced, enforcing every limit;
// the result behaves exactly as the session that was stored.
func UnmarshalSession(b []byte) (*Session, error) {
	st := &sessionState{}
	if err := wire.Decode(b, st); err != nil {
		return nil, fmt.Errorf("%w: session", ErrMalformed)
	}
	defer st.wipe()
	s, err := st.session()
	if err != nil {
		return nil, fmt.Errorf("%w: session: %s", ErrMalformed, err.Error())
	}
	return s, nil
}

type stateError string

func (e stateError) Error() string { return string(e) }

func (st *sessionState) session() (*Session, error) {
	if st.Version != sessionStateVersion && (st.Version != 1 || st.TurnPending || st.LastTurn != 0) {
		return nil, stateError("version")
	}
	if checkName(st.SelfName) != nil || checkName(st.PeerName) != nil || st.SelfName == st.PeerName {
		return nil, stateError("names")
	}
	selfKey, err1 := parseStoredKey(st.SelfKey)
	peerKey, err2 := parseStoredKey(st.PeerKey)
	priv, err3 := secp.ParsePrivateKey(st.SendPriv)
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, stateError("keys")
	}
	s := newSession(st.SelfName, st.PeerName, selfKey, peerKey)
	s.st.sendPriv = priv
	if err := st.fillRatchet(&s.st); err != nil {
		priv.Wipe()
		return nil, err
	}
	if err := st.fillSkipped(s); err != nil {
		priv.Wipe()
		return nil, err
	}
	return s, nil
}

func (st *sessionState) fillRatchet(r *ratchetState) error {
	if len(st.Root) != keySize || len(st.SendCK) != keySize {
		return stateError("chain keys")
	}
	copy(r.root[:], st.Root)
	copy(r.sendCK[:], st.SendCK)
	r.sendN, r.pn, r.recvN = st.SendN, st.PN, st.RecvN
	var err error
	if st.RecvPub != nil {
		if r.recvPub, err = parseStoredKey(st.RecvPub); err != nil {
			return stateError("receiving ratchet key")
		}
	}
	switch {
	case len(st.RecvCK) == keySize && st.RecvPub != nil:
		r.hasRecv = true
		copy(r.recvCK[:], st.RecvCK)
	case st.RecvCK != nil || st.RecvN != 0:
		return stateError("receiving chain")
	}
	if (st.TurnPending && !r.hasRecv) || st.LastTurn > math.MaxInt64 {
		return stateError("turn")
	}
	r.turnPending, r.lastTurn = st.TurnPending, int64(st.LastTurn)
	if st.BaseKey != nil {
		if r.baseKey, err = parseStoredKey(st.BaseKey); err != nil {
			return stateError("base key")
		}
	}
	return st.fillPrekey(r)
}

func (st *sessionState) fillPrekey(r *ratchetState) error {
	pk := st.Prekey
	if pk == nil {
		return nil
	}
	if r.hasRecv || r.recvPub.IsZero() || !bytesEqual(pk.Identity, st.SelfKey) {
		return stateError("prekey part")
	}
	if _, err := parseStoredKey(pk.BaseKey); err != nil {
		return stateError("prekey base key")
	}
	r.prekey = pk
	return nil
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }

// storedKey checks the form of a stored 33-byte ratchet key of a skipped or
// retired row (the compressed-point prefix) without decompressing it. Those
// keys were validated when first received; loading keeps their bytes (map
// keys, compared with an envelope's raw ratchet key) and does no curve
// operation per row: with a full store that cost ~10 ms per load, and the
// daemon loads several sessions per envelope. A row's key is only ever
// matched against an envelope whose MAC must then verify under the row's
// seed.
func storedKey(b []byte) ([secp.PublicKeySize]byte, bool) {
	var k [secp.PublicKeySize]byte
	copy(k[:], b)
	return k, len(b) == secp.PublicKeySize && (b[0] == 2 || b[0] == 3)
}

func (st *sessionState) fillRetired(s *Session) error {
	if len(st.Retired)%secp.PublicKeySize != 0 || len(st.Retired)/secp.PublicKeySize > MaxRetired {
		return stateError("retired keys")
	}
	for r := st.Retired; len(r) > 0; r = r[secp.PublicKeySize:] {
		k, ok := storedKey(r[:secp.PublicKeySize])
		if !ok {
			return stateError("retired key")
		}
		s.retired = append(s.retired, k)
	}
	return nil
}

func (st *sessionState) fillSkipped(s *Session) error {
	if err := st.fillRetired(s); err != nil {
		return err
	}
	if len(st.Skipped)%skippedRow != 0 || len(st.Skipped)/skippedRow > MaxSkippedKeys {
		return stateError("skipped keys")
	}
	rows := len(st.Skipped) / skippedRow
	s.skipped.m = make(map[skipKey][keySize]byte, rows)
	s.skipped.order = make([]skipKey, 0, rows)
	for r := st.Skipped; len(r) > 0; r = r[skippedRow:] {
		pub, ok := storedKey(r[:secp.PublicKeySize])
		if !ok {
			return stateError("skipped key")
		}
		k := skipKey{pub: pub, n: binary.BigEndian.Uint32(r[secp.PublicKeySize:])}
		if _, dup := s.skipped.m[k]; dup {
			return stateError("duplicate skipped key")
		}
		s.skipped.m[k] = [keySize]byte(r[secp.PublicKeySize+4 : skippedRow])
		s.skipped.order = append(s.skipped.order, k)
	}
	return nil
}

// parseStoredKey parses a public key of a stored state; tests count its
// calls (a point decompression is the expensive part of loading a state).
var parseStoredKey = secp.ParsePublicKey
