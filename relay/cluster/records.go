package cluster

import (
	"encoding/hex"
	"fmt"
	"time"

	"github.com/securep2p/securep2p/relay/store"
	"github.com/securep2p/securep2p/wire"
)

// Stored record formats: CBOR in the project's single strict encoding.

// Accounts and envelopes use the relay's one stored format
// (relay/store), so both backends agree byte for byte.
type (
	accountRec  = store.AccountRecord
	envelopeRec = store.EnvelopeRecord
)

// prekeysRec is a user's one-time prekey pool, bound to the identity key it
// was uploaded for: a pool whose key differs from the account's is empty.
type prekeysRec struct {
	IdentityKey []byte        `cbor:"1,keyasint"`
	Keys        []wire.Prekey `cbor:"2,keyasint"` // sorted by ID, unique
}

// Index entry states. Appends write idxLive once the envelope is in the
// stream and leave it there after the Ack (the envelope at Seq is then
// gone): the entry is the id's dedup record until Until. idxPending and
// idxTomb are written by nodes of an earlier version: pending counts as
// absent, a tombstone like live.
const (
	idxPending uint8 = iota + 1 // an append was writing the envelope (earlier versions)
	idxLive                     // the envelope was stored at Seq
	idxTomb                     // acked; Seq is the deleted message (earlier versions)
)

// indexRec is the per-(recipient, id) entry: it makes Append idempotent
// until Until (the envelope's expiry), also after the Ack.
type indexRec struct {
	State uint8  `cbor:"1,keyasint"`
	Seq   uint64 `cbor:"2,keyasint,omitempty"`
	Until int64  `cbor:"3,keyasint"` // Unix milliseconds: the envelope's expiry
}

// metaRec is a mailbox's quota accounting: the sum of the appends'
// increments and the deletes' decrements, which may be negative for a
// moment when a delete's decrement lands first.
type metaRec struct {
	Count int64 `cbor:"1,keyasint"`
	Bytes int64 `cbor:"2,keyasint"`
}

func encode(v any) ([]byte, error) {
	b, err := wire.Encode(v)
	if err != nil {
		return nil, fmt.Errorf("cluster: encode record: %w", err)
	}
	return b, nil
}

func decodeAccount(b []byte) (accountRec, error) { return store.DecodeAccountRecord(b) }

func decodePrekeys(b []byte) (prekeysRec, error) {
	var r prekeysRec
	if err := wire.Decode(b, &r); err != nil {
		return r, store.ErrCorrupt
	}
	for i, p := range r.Keys {
		if len(p.Key) != wire.KeySize || i > 0 && r.Keys[i-1].ID >= p.ID {
			return r, store.ErrCorrupt
		}
	}
	return r, nil
}

func decodeEnvelope(b []byte) (envelopeRec, error) { return store.DecodeEnvelopeRecord(b) }

func decodeIndex(b []byte) (indexRec, error) {
	var r indexRec
	if err := wire.Decode(b, &r); err != nil || r.State < idxPending || r.State > idxTomb {
		return indexRec{}, store.ErrCorrupt
	}
	return r, nil
}

func decodeMeta(b []byte) (metaRec, error) {
	var r metaRec
	if err := wire.Decode(b, &r); err != nil {
		return metaRec{}, store.ErrCorrupt
	}
	return r, nil
}

// expired reports whether a deadline in Unix milliseconds has passed at now.
func expired(untilMS int64, now time.Time) bool {
	return untilMS != 0 && untilMS <= now.UnixMilli()
}

// Names. Usernames are wire.NormalizeUsername output ([a-z][a-z0-9_]*), safe
// as one subject token and as a key-value key.
const (
	mailStream    = "P2P_MAIL"
	mailPrefix    = "p2p.mail."
	notifyPrefix  = "p2p.notify."
	accountBucket = "p2p_accounts"
	indexBucket   = "p2p_mailidx"
)

func mailSubject(user string) string   { return mailPrefix + user }
func notifySubject(user string) string { return notifyPrefix + user }
func accountKey(user string) string    { return "a." + user }
func prekeysKey(user string) string    { return "p." + user }
func metaKey(user string) string       { return "m." + user }
func indexKey(user string, id store.ID) string {
	return "i." + user + "." + hex.EncodeToString(id[:])
}
func msgID(user string, id store.ID) string { return user + "." + hex.EncodeToString(id[:]) }

// validUser rejects names that are not normalised usernames (they would
// break the subject and key layout).
func validUser(user string) bool {
	n, ok := wire.NormalizeUsername(user)
	return ok && n == user
}
