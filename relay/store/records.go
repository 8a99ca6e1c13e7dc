package store

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/securep2p/securep2p/wire"
)

// Stored record formats. Each is CBOR in the project's strict encoding; the
// bucket layout is described in bolt.go.

// AccountRecord is the stored form of an account. Every Store
// implementation (bbolt here, relay/cluster on NATS) keeps accounts in this
// one format.
type AccountRecord struct {
	PasswordHash []byte            `cbor:"1,keyasint"`
	IdentityKey  []byte            `cbor:"2,keyasint"`
	SignedPrekey wire.SignedPrekey `cbor:"3,keyasint"`
	CreatedAt    int64             `cbor:"4,keyasint"` // Unix milliseconds
}

// EnvelopeRecord is the stored form of a mailbox envelope, shared by every
// Store implementation like AccountRecord.
type EnvelopeRecord struct {
	ID        []byte `cbor:"1,keyasint"`
	From      string `cbor:"2,keyasint"`
	Body      []byte `cbor:"3,keyasint"`
	SentAt    int64  `cbor:"4,keyasint"` // Unix milliseconds
	ExpiresAt int64  `cbor:"5,keyasint"` // Unix milliseconds
}

type (
	accountRec  = AccountRecord
	envelopeRec = EnvelopeRecord
)

// indexRec maps an id to its envelope (Seq > 0) or is a tombstone of an
// acked id (Seq == 0) kept until Until.
// A live entry is written with its Seq only (Until 0, no Size or SentAt):
// small entries fill fewer index pages, which appends dirty at random
// (recent.go). The Ack reads size, send time and expiry from the envelope
// record it deletes anyway. Live entries written by earlier
// versions also carry Until, Size and SentAt; they are read the same way
// (an entry with SentAt 0 takes them from the envelope, one with SentAt
// set is used as is).
type indexRec struct {
	Seq    uint64 `cbor:"1,keyasint,omitempty"`
	Until  int64  `cbor:"2,keyasint"`           // Unix milliseconds
	Size   int64  `cbor:"3,keyasint,omitempty"` // body bytes of a live entry
	SentAt int64  `cbor:"4,keyasint,omitempty"` // Unix milliseconds, live entry
}

// liveIndex is the stored live entry of seq: the bytes of
// encode(indexRec{Seq: seq}), built without reflection on the commit
// goroutine (TestLiveIndexEncoding compares the two).
func liveIndex(seq uint64) []byte {
	b := make([]byte, 0, 13)
	if seq == 0 {
		return append(b, 0xa1, 0x02, 0x00) // {2: 0}: Seq is omitempty
	}
	b = append(b, 0xa2, 0x01) // map of 2 pairs; key 1
	switch {
	case seq < 24:
		b = append(b, byte(seq))
	case seq <= 0xff:
		b = append(b, 0x18, byte(seq))
	case seq <= 0xffff:
		b = binary.BigEndian.AppendUint16(append(b, 0x19), uint16(seq))
	case seq <= 0xffffffff:
		b = binary.BigEndian.AppendUint32(append(b, 0x1a), uint32(seq))
	default:
		b = binary.BigEndian.AppendUint64(append(b, 0x1b), seq)
	}
	return append(b, 0x02, 0x00) // key 2 (Until): 0
}

// metaRec is a mailbox's quota accounting.
type metaRec struct {
	Count int64 `cbor:"1,keyasint"`
	Bytes int64 `cbor:"2,keyasint"`
}

func encode(v any) ([]byte, error) {
	b, err := wire.Encode(v)
	if err != nil {
		return nil, fmt.Errorf("store: encode record: %w", err)
	}
	return b, nil
}

func decodeAccount(b []byte) (accountRec, error) { return DecodeAccountRecord(b) }

func decodeEnvelope(b []byte) (envelopeRec, error) { return DecodeEnvelopeRecord(b) }

// DecodeAccountRecord decodes a stored account with the strict decoder and
// checks its field sizes; anything else is ErrCorrupt.
func DecodeAccountRecord(b []byte) (AccountRecord, error) {
	var r AccountRecord
	if err := wire.Decode(b, &r); err != nil {
		return r, ErrCorrupt
	}
	if len(r.IdentityKey) != wire.KeySize || len(r.SignedPrekey.Key) != wire.KeySize ||
		len(r.SignedPrekey.Signature) != wire.SigSize || len(r.PasswordHash) == 0 {
		return r, ErrCorrupt
	}
	return r, nil
}

// DecodeEnvelopeRecord decodes a stored envelope with the strict decoder
// and checks its field sizes; anything else is ErrCorrupt.
func DecodeEnvelopeRecord(b []byte) (EnvelopeRecord, error) {
	var r EnvelopeRecord
	if err := wire.Decode(b, &r); err != nil {
		return r, ErrCorrupt
	}
	if len(r.ID) != wire.IDSize || len(r.Body) > wire.MaxBodySize || len(r.From) > wire.MaxUsernameLen {
		return r, ErrCorrupt
	}
	return r, nil
}

func decodeIndex(b []byte) (indexRec, error) {
	var r indexRec
	if err := wire.Decode(b, &r); err != nil {
		return r, ErrCorrupt
	}
	return r, nil
}

func decodeMeta(b []byte) (metaRec, error) {
	var r metaRec
	if b == nil {
		return r, nil
	}
	if err := wire.Decode(b, &r); err != nil || r.Count < 0 || r.Bytes < 0 {
		return metaRec{}, ErrCorrupt
	}
	return r, nil
}

// Millis is how the stored records (this package's and relay/cluster's)
// encode a time: Unix milliseconds, 0 for the zero time.
func Millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// FromMillis decodes a time encoded by [Millis].
func FromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func u64key(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }
func u32key(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }
