package wire_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/securep2p/securep2p/wire"
)

// Hand-written CBOR. The valid Ping{N: 1} frame is a1 1829 a1 01 01:
// map(1) { 41: map(1) { 1: 1 } }.

func decodeHex(t *testing.T, h string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(h, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustReject checks that b is refused with want (ErrMalformed or ErrInvalid)
// and, when cause is not empty, that the error names that cause, so each test
// proves the attack it is named after was the reason.
func mustReject(t *testing.T, b []byte, want error, cause string) {
	t.Helper()
	var f wire.Frame
	err := wire.Unmarshal(b, &f)
	if !errors.Is(err, want) {
		t.Fatalf("Unmarshal(%x) = %v, want %v", b, err, want)
	}
	if !strings.Contains(err.Error(), cause) {
		t.Fatalf("Unmarshal(%x) = %v, want cause %q", b, err, cause)
	}
}

func TestUnmarshalPingBaseline(t *testing.T) {
	var f wire.Frame
	if err := wire.Unmarshal(decodeHex(t, "a1 1829 a1 01 01"), &f); err != nil || f.Ping == nil || f.Ping.N != 1 {
		t.Fatalf("baseline ping: %+v, %v", f, err)
	}
}

func TestUnmarshalDuplicateKey(t *testing.T) {
	// Two payloads under the same key 41, then two N fields in one Ping.
	mustReject(t, decodeHex(t, "a2 1829 a10101 1829 a10102"), wire.ErrMalformed, "duplicate map key")
	mustReject(t, decodeHex(t, "a1 1829 a2 0101 0102"), wire.ErrMalformed, "duplicate map key")
}

func TestUnmarshalIndefiniteLength(t *testing.T) {
	// Indefinite-length outer map, and an indefinite byte string as Ack.ID.
	mustReject(t, decodeHex(t, "bf 1829 a10101 ff"), wire.ErrMalformed, "indefinite-length")
	ack := "a1 1821 a1 01 5f 48 c0c1c2c3c4c5c6c7 48 c8c9cacbcccdcecf ff"
	mustReject(t, decodeHex(t, ack), wire.ErrMalformed, "indefinite-length")
}

func TestUnmarshalTag(t *testing.T) {
	// Tag 1 (epoch time) on Ping.N, and tag 55799 (self-describe) on the frame.
	mustReject(t, decodeHex(t, "a1 1829 a1 01 c1 01"), wire.ErrMalformed, "tag")
	mustReject(t, decodeHex(t, "d9d9f7 a1 1829 a1 01 01"), wire.ErrMalformed, "tag")
}

func TestUnmarshalUnknownField(t *testing.T) {
	// Field 2 in a Ping, and an unknown frame type 99.
	mustReject(t, decodeHex(t, "a1 1829 a2 0101 0201"), wire.ErrMalformed, "unknown field")
	mustReject(t, decodeHex(t, "a2 1829 a10101 1863 a0"), wire.ErrMalformed, "unknown field")
}

func TestUnmarshalTwoPayloads(t *testing.T) {
	mustReject(t, decodeHex(t, "a2 1829 a10101 182a a10101"), wire.ErrInvalid, "exactly one payload")
}

func TestUnmarshalNoPayload(t *testing.T) {
	mustReject(t, decodeHex(t, "a0"), wire.ErrInvalid, "exactly one payload")
	mustReject(t, decodeHex(t, "a1 00 05"), wire.ErrInvalid, "exactly one payload") // Req only
}

func TestUnmarshalNonCanonicalInt(t *testing.T) {
	// N = 1 as 0x1801, a key 1 as 0x1801, and the type key 41 as 0x190029.
	mustReject(t, decodeHex(t, "a1 1829 a1 01 1801"), wire.ErrMalformed, "canonical")
	mustReject(t, decodeHex(t, "a1 1829 a1 1801 01"), wire.ErrMalformed, "canonical")
	mustReject(t, decodeHex(t, "a1 190029 a1 01 01"), wire.ErrMalformed, "canonical")
}

func TestUnmarshalNonCanonicalMapOrder(t *testing.T) {
	// Welcome{Username: "bob", Remaining: 1} with its keys 2, 1 out of order.
	mustReject(t, decodeHex(t, "a1 0e a2 0201 0163626f62"), wire.ErrMalformed, "canonical")
	mustReject(t, decodeHex(t, "a2 1829 a10101 00 01"), wire.ErrMalformed, "canonical") // Req after payload
}

func TestUnmarshalTrailingBytes(t *testing.T) {
	mustReject(t, decodeHex(t, "a1 1829 a10101 00"), wire.ErrMalformed, "")
}

func TestUnmarshalTooDeep(t *testing.T) {
	// Ping.N holding 9 nested arrays: more levels than MaxNesting allows.
	deep := "a1 1829 a1 01" + strings.Repeat("81", 9) + "01"
	mustReject(t, decodeHex(t, deep), wire.ErrMalformed, "max nested level")
}

func TestUnmarshalArrayTooLong(t *testing.T) {
	// An UploadPrekeys with 257 one-time prekeys (MaxArrayLen is 256), built
	// with Encode because Marshal refuses it.
	f := wire.Frame{Req: 1, UploadPrekeys: &wire.UploadPrekeys{OneTime: prekeys(wire.MaxArrayLen + 1)}}
	b, err := wire.Encode(&f)
	if err != nil {
		t.Fatal(err)
	}
	mustReject(t, b, wire.ErrMalformed, "max number of elements")
}

func TestUnmarshalPrekeyBatchTooLong(t *testing.T) {
	// 201 prekeys fit the CBOR cap but exceed MaxPrekeyBatch.
	f := wire.Frame{Req: 1, UploadPrekeys: &wire.UploadPrekeys{OneTime: prekeys(wire.MaxPrekeyBatch + 1)}}
	b, err := wire.Encode(&f)
	if err != nil {
		t.Fatal(err)
	}
	mustReject(t, b, wire.ErrInvalid, "one-time prekeys exceeds")
}

func TestUnmarshalWrongKeySize(t *testing.T) {
	f := goldens["send"]
	s := *f.Send
	s.IdentityKey = s.IdentityKey[:32]
	b, err := wire.Encode(&wire.Frame{Send: &s})
	if err != nil {
		t.Fatal(err)
	}
	mustReject(t, b, wire.ErrInvalid, "identity key is 32 bytes")
}

func TestUnmarshalInvalidUTF8(t *testing.T) {
	// FetchBundle{Username: "b\xffb"}: a text string that is not UTF-8.
	mustReject(t, decodeHex(t, "a2 00 01 16 a1 01 63 62ff62"), wire.ErrMalformed, "UTF-8")
}

func TestUnmarshalOversized(t *testing.T) {
	big := make([]byte, wire.MaxFrameSize+1)
	mustReject(t, big, wire.ErrMalformed, "exceeds")
}

func TestUnmarshalResetsFrame(t *testing.T) {
	f := goldens["send"]
	if err := wire.Unmarshal(decodeHex(t, "a1 1829 a1 01 01"), &f); err != nil || f.Send != nil || f.Ping == nil {
		t.Fatalf("Unmarshal kept old fields: %+v, %v", f, err)
	}
}

func TestUnmarshalBodyNotAliased(t *testing.T) {
	b := readGolden(t, "send")
	var f wire.Frame
	if err := wire.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	want := bytes.Clone(f.Send.Body)
	for i := range b {
		b[i] = 0
	}
	if !bytes.Equal(f.Send.Body, want) {
		t.Fatal("decoded Body aliases the input buffer")
	}
}

func TestUnmarshalExplicitZeroOmitempty(t *testing.T) {
	// Welcome{Username: "alice", Remaining: 0} with KeyChanged: false sent
	// explicitly (03 f4): syntactically canonical CBOR, but the frame's one
	// byte form omits the field, so it is refused.
	mustReject(t, decodeHex(t, "a1 0e a3 01 65616c696365 02 00 03 f4"), wire.ErrMalformed, "canonical")
	// Req 0 written out (00 00) instead of omitted.
	mustReject(t, decodeHex(t, "a2 00 00 1829 a10101"), wire.ErrMalformed, "canonical")
}
