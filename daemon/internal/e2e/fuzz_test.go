package e2e

import (
	"bytes"
	"errors"
	"testing"

	"github.com/securep2p/securep2p/wire"
)

func fuzzSeeds(f *testing.F) (pre, msg []byte, state []byte) {
	alice, bob := newParty(f, "alice", 1), newParty(f, "bob", 1)
	as, err := Initiate(alice.id, alice.name, bob.bundle(f))
	if err != nil {
		f.Fatal(err)
	}
	pre = mustEncrypt(f, as, "seed")
	bs, _, _, err := Respond(bob.id, bob.name, alice.name, pre, bob.store)
	if err != nil {
		f.Fatal(err)
	}
	msg = mustEncrypt(f, bs, "reply")
	mustEncrypt(f, as, "skipped")
	mustDecrypt(f, bs, mustEncrypt(f, as, "later"), "later")
	return pre, msg, stateBytes(f, bs)
}

// FuzzParseEnvelope: the parser never panics, and whatever parses re-encodes
// to the same bytes (one byte form per envelope).
func FuzzParseEnvelope(f *testing.F) {
	pre, msg, _ := fuzzSeeds(f)
	f.Add(pre)
	f.Add(msg)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseEnvelope(b)
		if err != nil {
			return
		}
		again, err := wire.Encode(&p.env)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatal("parsed envelope does not re-encode to its input")
		}
		// The ratchet key is checked lazily (only when a session needs it);
		// Describe checks it, so an off-curve key is an ErrMalformed there.
		if _, err := Describe(b); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatal(err)
		}
	})
}

// FuzzParseContent: DecodeContent never panics, and what decodes re-encodes
// to the same padded bytes.
func FuzzParseContent(f *testing.F) {
	for _, c := range []*Content{
		{Kind: KindText, Body: "hello", SentAt: 1, ID: make([]byte, 16)},
		{Kind: KindRead, ID: make([]byte, 16), Refs: [][]byte{make([]byte, 16)}},
	} {
		b, err := EncodeContent(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeContent(b)
		if err != nil {
			return
		}
		again, err := EncodeContent(c)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatal("decoded content does not re-encode to its input")
		}
	})
}

// FuzzUnmarshalSession: the state parser never panics, and what loads
// serialises back to the same bytes (a version-1 state: to the same state
// in the current version).
func FuzzUnmarshalSession(f *testing.F) {
	_, _, state := fuzzSeeds(f)
	f.Add(state)
	pending, _ := establish(f, newParty(f, "alice", 0), newParty(f, "bob", 0)) // a turn is pending
	f.Add(stateBytes(f, pending))
	f.Add(previousStateBlob(f)) // skipped keys of two chains, retired keys
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := UnmarshalSession(b)
		if err != nil {
			return
		}
		again, err := s.MarshalBinary()
		if err != nil || !bytes.Equal(again, upgradedState(t, b)) {
			t.Fatal("loaded session does not re-serialise to its input")
		}
	})
}

// upgradedState returns a loadable state b in the current version's form.
func upgradedState(t *testing.T, b []byte) []byte {
	var st sessionState
	if err := wire.Decode(b, &st); err != nil {
		t.Fatal(err)
	}
	if st.Version == sessionStateVersion {
		return b
	}
	st.Version = sessionStateVersion
	out, err := wire.Encode(&st)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// FuzzParsePrekeyStore: the prekey-store parser never panics.
func FuzzParsePrekeyStore(f *testing.F) {
	p := newParty(f, "alice", 3)
	b, err := p.store.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParsePrekeyStore(b)
		if err != nil {
			return
		}
		if _, err := s.MarshalBinary(); err != nil {
			t.Fatal(err)
		}
	})
}
