package cluster

import (
	"bytes"
	"testing"

	"github.com/securep2p/securep2p/wire"
)

// FuzzDecodeRecords: every stored-record decoder rejects or accepts
// arbitrary bytes without panicking, and what it accepts re-encodes to the
// same bytes (one canonical form).
func FuzzDecodeRecords(f *testing.F) {
	key := bytes.Repeat([]byte{2}, wire.KeySize)
	for _, v := range []any{
		accountRec{PasswordHash: []byte("h"), IdentityKey: key, SignedPrekey: wire.SignedPrekey{ID: 1, Key: key, Signature: make([]byte, wire.SigSize)}, CreatedAt: 1},
		prekeysRec{IdentityKey: key, Keys: []wire.Prekey{{ID: 1, Key: key}, {ID: 2, Key: key}}},
		envelopeRec{ID: make([]byte, wire.IDSize), From: "alice", Body: []byte("x"), SentAt: 1, ExpiresAt: 2},
		indexRec{State: idxLive, Seq: 7, Until: 9},
		metaRec{Count: 1, Bytes: 10},
	} {
		b, err := encode(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		check := func(v any, err error) {
			if err != nil {
				return
			}
			again, err := encode(v)
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("%T decoded from %x re-encodes to %x", v, b, again)
			}
		}
		a, err := decodeAccount(b)
		check(a, err)
		p, err := decodePrekeys(b)
		check(p, err)
		e, err := decodeEnvelope(b)
		check(e, err)
		i, err := decodeIndex(b)
		check(i, err)
		m, err := decodeMeta(b)
		check(m, err)
	})
}
