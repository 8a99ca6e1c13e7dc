package e2e

import (
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

// Prekey limits.
const (
	MaxOneTimePrekeys = 1000 // private one-time prekeys a PrekeyStore holds
	MaxSignedPrekeys  = 3    // signed prekeys kept (current + 2 previous, for messages in flight)
)

// Prekeys is what Respond needs from the recipient's key store: the private
// halves of prekeys by ID. Lookups must not consume; the caller consumes the
// one-time prekey Respond reports as used, after the session is stored.
type Prekeys interface {
	SignedPrekey(id uint32) (*secp.PrivateKey, error)
	OneTimePrekey(id uint32) (*secp.PrivateKey, error)
}

// PrekeyStore holds this side's private signed and one-time prekeys. It is
// not safe for concurrent use; the daemon serialises access and persists it
// (MarshalBinary) after every change.
type PrekeyStore struct {
	signed  []signedPrekey // oldest first, newest last
	oneTime map[uint32]*secp.PrivateKey
	nextOTK uint32 // next one-time prekey ID (IDs start at 1)
	nextSPK uint32 // next signed prekey ID (IDs start at 1)
}

type signedPrekey struct {
	id  uint32
	key *secp.PrivateKey
	sig []byte
}

// NewPrekeyStore returns an empty store. Call RotateSignedPrekey before
// publishing a bundle.
func NewPrekeyStore() *PrekeyStore {
	return &PrekeyStore{oneTime: map[uint32]*secp.PrivateKey{}, nextOTK: 1, nextSPK: 1}
}

// signedPrekeyMessage is what the identity key signs: be32(id) || key.
func signedPrekeyMessage(id uint32, key []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, id), key...)
}

// RotateSignedPrekey creates a new signed prekey signed by self, keeps the
// previous ones up to MaxSignedPrekeys, and returns the value to upload.
func (s *PrekeyStore) RotateSignedPrekey(self *Identity) (wire.SignedPrekey, error) {
	k, err := newPrivateKey()
	if err != nil {
		return wire.SignedPrekey{}, fmt.Errorf("e2e: signed prekey: %w", err)
	}
	id := s.nextSPK
	s.nextSPK++
	pub := k.Public().Bytes()
	sig := self.key.Sign(labelSignedPrekey, signedPrekeyMessage(id, pub))
	s.signed = append(s.signed, signedPrekey{id: id, key: k, sig: sig})
	if len(s.signed) > MaxSignedPrekeys {
		s.signed[0].key.Wipe()
		s.signed = s.signed[1:]
	}
	return wire.SignedPrekey{ID: id, Key: pub, Signature: sig}, nil
}

// CurrentSignedPrekey returns the newest signed prekey, for upload.
func (s *PrekeyStore) CurrentSignedPrekey() (wire.SignedPrekey, bool) {
	if len(s.signed) == 0 {
		return wire.SignedPrekey{}, false
	}
	c := s.signed[len(s.signed)-1]
	return wire.SignedPrekey{ID: c.id, Key: c.key.Public().Bytes(), Signature: c.sig}, true
}

// GenerateOneTime creates n (1..wire.MaxPrekeyBatch) one-time prekeys with
// increasing IDs and returns their public halves for upload.
func (s *PrekeyStore) GenerateOneTime(n int) ([]wire.Prekey, error) {
	if n < 1 || n > wire.MaxPrekeyBatch || len(s.oneTime)+n > MaxOneTimePrekeys {
		return nil, fmt.Errorf("%w: %d more would exceed %d", ErrPrekeyPool, n, MaxOneTimePrekeys)
	}
	if uint64(s.nextOTK)+uint64(n) > 1<<32-1 {
		return nil, fmt.Errorf("%w: IDs exhausted", ErrPrekeyPool)
	}
	out := make([]wire.Prekey, 0, n)
	for range n {
		k, err := newPrivateKey()
		if err != nil {
			return nil, fmt.Errorf("e2e: one-time prekey: %w", err)
		}
		s.oneTime[s.nextOTK] = k
		out = append(out, wire.Prekey{ID: s.nextOTK, Key: k.Public().Bytes()})
		s.nextOTK++
	}
	return out, nil
}

// OneTimeCount reports how many private one-time prekeys are held.
func (s *PrekeyStore) OneTimeCount() int { return len(s.oneTime) }

// SignedPrekey returns the private signed prekey with this ID.
func (s *PrekeyStore) SignedPrekey(id uint32) (*secp.PrivateKey, error) {
	for _, p := range s.signed {
		if p.id == id {
			return p.key, nil
		}
	}
	return nil, fmt.Errorf("%w: signed prekey %d", ErrUnknownPrekey, id)
}

// OneTimePrekey returns the private one-time prekey with this ID without
// consuming it.
func (s *PrekeyStore) OneTimePrekey(id uint32) (*secp.PrivateKey, error) {
	if k, ok := s.oneTime[id]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("%w: one-time prekey %d", ErrUnknownPrekey, id)
}

// Consume deletes (and wipes) a one-time prekey; it reports whether it was
// held. Call it with the ID Respond returned, once the new session is stored.
func (s *PrekeyStore) Consume(id uint32) bool {
	k, ok := s.oneTime[id]
	if ok {
		k.Wipe()
		delete(s.oneTime, id)
	}
	return ok
}

// prekeyStoreBlob is the stored form. OneTime packs entries as
// be32(id) || private(32), in increasing ID order.
type prekeyStoreBlob struct {
	Version uint8             `cbor:"1,keyasint"`
	Signed  []signedPrekeyRow `cbor:"2,keyasint,omitempty"`
	OneTime []byte            `cbor:"3,keyasint,omitempty"`
	NextOTK uint32            `cbor:"4,keyasint"`
	NextSPK uint32            `cbor:"5,keyasint"`
}

type signedPrekeyRow struct {
	ID        uint32 `cbor:"1,keyasint"`
	Private   []byte `cbor:"2,keyasint"` // 32
	Signature []byte `cbor:"3,keyasint"` // 64
}

const oneTimeRow = 4 + secp.PrivateKeySize

// MarshalBinary returns the versioned CBOR storage form. It contains private
// keys: store it as a secret.
func (s *PrekeyStore) MarshalBinary() ([]byte, error) {
	blob := prekeyStoreBlob{Version: Version, NextOTK: s.nextOTK, NextSPK: s.nextSPK}
	for _, p := range s.signed {
		blob.Signed = append(blob.Signed, signedPrekeyRow{ID: p.id, Private: p.key.Bytes(), Signature: p.sig})
	}
	ids := make([]uint32, 0, len(s.oneTime))
	for id := range s.oneTime {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		blob.OneTime = binary.BigEndian.AppendUint32(blob.OneTime, id)
		priv := s.oneTime[id].Bytes()
		blob.OneTime = append(blob.OneTime, priv...)
		clear(priv)
	}
	defer wipeBlob(&blob)
	return wire.Encode(blob)
}

func wipeBlob(b *prekeyStoreBlob) {
	clear(b.OneTime)
	for _, r := range b.Signed {
		clear(r.Private)
	}
}

// ParsePrekeyStore loads what MarshalBinary produced, enforcing all limits.
func ParsePrekeyStore(b []byte) (*PrekeyStore, error) {
	var blob prekeyStoreBlob
	if err := wire.Decode(b, &blob); err != nil {
		return nil, fmt.Errorf("%w: prekey store", ErrMalformed)
	}
	defer wipeBlob(&blob)
	if blob.Version != Version || len(blob.Signed) > MaxSignedPrekeys || blob.NextOTK == 0 || blob.NextSPK == 0 ||
		len(blob.OneTime)%oneTimeRow != 0 || len(blob.OneTime)/oneTimeRow > MaxOneTimePrekeys {
		return nil, fmt.Errorf("%w: prekey store limits", ErrMalformed)
	}
	s := NewPrekeyStore()
	s.nextOTK, s.nextSPK = blob.NextOTK, blob.NextSPK
	for _, r := range blob.Signed {
		k, err := secp.ParsePrivateKey(r.Private)
		if err != nil || len(r.Signature) != secp.SignatureSize || r.ID == 0 || r.ID >= s.nextSPK {
			return nil, fmt.Errorf("%w: signed prekey row", ErrMalformed)
		}
		s.signed = append(s.signed, signedPrekey{id: r.ID, key: k, sig: r.Signature})
	}
	for row := blob.OneTime; len(row) > 0; row = row[oneTimeRow:] {
		id := binary.BigEndian.Uint32(row)
		k, err := secp.ParsePrivateKey(row[4:oneTimeRow])
		if _, dup := s.oneTime[id]; err != nil || dup || id == 0 || id >= s.nextOTK {
			return nil, fmt.Errorf("%w: one-time prekey row", ErrMalformed)
		}
		s.oneTime[id] = k
	}
	return s, nil
}

// VerifyBundle checks a fetched bundle: a normalised username, valid
// identity, signed and one-time keys, and the signed prekey's signature by
// the identity key over be32(id) || key under the signed-prekey label.
func VerifyBundle(b *wire.Bundle) error {
	_, err := parseBundle(b)
	return err
}

// bundle is a verified wire.Bundle.
type bundle struct {
	name     string
	identity secp.PublicKey
	spkID    uint32
	spk      secp.PublicKey
	otkID    uint32 // 0: none
	otk      secp.PublicKey
}

func parseBundle(b *wire.Bundle) (*bundle, error) {
	if b == nil {
		return nil, fmt.Errorf("%w: missing", ErrBadBundle)
	}
	if n, ok := wire.NormalizeUsername(b.Username); !ok || n != b.Username {
		return nil, fmt.Errorf("%w: username", ErrBadBundle)
	}
	out := &bundle{name: b.Username, spkID: b.SignedPrekey.ID}
	var err error
	if out.identity, err = secp.ParsePublicKey(b.IdentityKey); err != nil {
		return nil, fmt.Errorf("%w: identity key", ErrBadBundle)
	}
	if out.spk, err = secp.ParsePublicKey(b.SignedPrekey.Key); err != nil {
		return nil, fmt.Errorf("%w: signed prekey", ErrBadBundle)
	}
	if !out.identity.Verify(labelSignedPrekey, signedPrekeyMessage(b.SignedPrekey.ID, b.SignedPrekey.Key), b.SignedPrekey.Signature) {
		return nil, fmt.Errorf("%w: signed prekey signature", ErrBadBundle)
	}
	if b.OneTime != nil {
		if out.otk, err = secp.ParsePublicKey(b.OneTime.Key); err != nil || b.OneTime.ID == 0 {
			return nil, fmt.Errorf("%w: one-time prekey", ErrBadBundle)
		}
		out.otkID = b.OneTime.ID
	}
	return out, nil
}
