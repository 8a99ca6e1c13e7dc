package wire_test

import (
	"bytes"
	"encoding/hex"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/securep2p/securep2p/wire"
)

// Named tests for the version-2 batched Ack and Accepted (More, key 2).
// Each negative input is refused by the fast decoder (it falls back) and by
// Unmarshal with the generic error naming the cause.

const (
	hMoreD0 = " 50 d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
	hMoreE0 = " 50 e0e1e2e3e4e5e6e7e8e9eaebecedeeef"
	hAckB   = "a1 1821 a2 01" + hID + " 02" // {33: {1: id, 2: ...
	hAccB   = "a1 181f a2 01" + hID + " 02" // {31: {1: id, 2: ...
)

var (
	negAckEmptyMore      = hAckB + " 80"
	negAcceptedEmptyMore = hAccB + " 80"
	negAckMoreShortID    = hAckB + " 82" + hMoreD0 + " 4f e0e1e2e3e4e5e6e7e8e9eaebecedee"
	negAckMoreLongID     = hAckB + " 82" + hMoreD0 + " 51 e0e1e2e3e4e5e6e7e8e9eaebecedeeefff"
	negAckMoreUint       = hAckB + " 82" + hMoreD0 + " 01"
	negAckMoreIndef      = hAckB + " 9f" + hMoreD0 + hMoreE0 + " ff"
	negAckMoreLongHead   = hAckB + " 98 02" + hMoreD0 + hMoreE0
	negAckMoreBeforeID   = "a1 1821 a2 02 82" + hMoreD0 + hMoreE0 + " 01" + hID
	negAckMoreNotArray   = hAckB + hMoreD0
	// A 15-byte id padded by a trailing byte to the 17-byte stride of a
	// valid item: a reader that skips items by size would accept it.
	negAckMoreMisaligned = hAckB + " 81 4f e0e1e2e3e4e5e6e7e8e9eaebecedee 00"
)

// moreIDs is the hex of an array of n 16-byte ids.
func moreIDs(n int) string {
	var b strings.Builder
	if n < 24 {
		b.WriteString(" " + hex.EncodeToString([]byte{0x80 | byte(n)}))
	} else if n < 256 {
		b.WriteString(" 98 " + hex.EncodeToString([]byte{byte(n)}))
	} else {
		b.WriteString(" 99 " + hex.EncodeToString([]byte{byte(n >> 8), byte(n)}))
	}
	for i := range n {
		b.WriteString(" 50 " + hex.EncodeToString(fill(wire.IDSize, byte(i))))
	}
	return b.String()
}

func batchNegativeInputs(t testing.TB) [][]byte {
	var out [][]byte
	for _, h := range []string{negAckEmptyMore, negAcceptedEmptyMore, negAckMoreShortID, negAckMoreLongID,
		negAckMoreUint, negAckMoreIndef, negAckMoreLongHead, negAckMoreBeforeID, negAckMoreNotArray,
		negAckMoreMisaligned, hAckB + moreIDs(wire.MaxBatchIDs)} {
		out = append(out, hexBytes(t, h))
	}
	return out
}

func TestBatchAckBaseline(t *testing.T) {
	var f wire.Frame
	b := decodeHex(t, hAckB+" 82"+hMoreD0+hMoreE0)
	if !wire.DecodeHot(b, &f) || !reflect.DeepEqual(f, goldens["ack_batch"]) {
		t.Fatalf("baseline batched Ack not taken by the fast decoder: %+v", f)
	}
}

func TestBatchAckEmptyMore(t *testing.T) {
	mustRejectFast(t, negAckEmptyMore, wire.ErrMalformed, "canonical")
}

func TestBatchAcceptedEmptyMore(t *testing.T) {
	mustRejectFast(t, negAcceptedEmptyMore, wire.ErrMalformed, "canonical")
}

func TestBatchAckTooManyIDsDecode(t *testing.T) {
	mustRejectFast(t, hAckB+moreIDs(wire.MaxBatchIDs), wire.ErrInvalid, "256 more ids, want at most 255")
}

func TestBatchAcceptedTooManyIDsDecode(t *testing.T) {
	mustRejectFast(t, hAccB+moreIDs(wire.MaxBatchIDs), wire.ErrInvalid, "256 more ids, want at most 255")
}

func TestBatchAckTooManyIDsEncode(t *testing.T) {
	f := &wire.Frame{Ack: &wire.Ack{ID: fill(16, 0xc0), More: tooManyIDs()}}
	mustRefuse(t, f, "256 more ids, want at most 255")
	if dst, err := wire.AppendFrame([]byte{7}, f); err == nil || !bytes.Equal(dst, []byte{7}) {
		t.Fatalf("AppendFrame = %x, %v; want dst unchanged and an error", dst, err)
	}
}

func TestBatchAcceptedTooManyIDsEncode(t *testing.T) {
	mustRefuse(t, &wire.Frame{Accepted: &wire.Accepted{ID: fill(16, 0xc0), More: tooManyIDs()}},
		"256 more ids, want at most 255")
}

func TestBatchAckShortIDInMore(t *testing.T) {
	mustRejectFast(t, negAckMoreShortID, wire.ErrInvalid, "id is 15 bytes")
}

func TestBatchAckLongIDInMore(t *testing.T) {
	mustRejectFast(t, negAckMoreLongID, wire.ErrInvalid, "id is 17 bytes")
}

func TestBatchAckShortIDInMoreEncode(t *testing.T) {
	mustRefuse(t, &wire.Frame{Ack: &wire.Ack{ID: fill(16, 0xc0), More: [][]byte{fill(16, 0), fill(15, 0)}}},
		"id is 15 bytes")
}

func TestBatchAckNonBytesInMore(t *testing.T) {
	mustRejectFast(t, negAckMoreUint, wire.ErrMalformed, "cannot unmarshal")
}

func TestBatchAckIndefiniteMore(t *testing.T) {
	mustRejectFast(t, negAckMoreIndef, wire.ErrMalformed, "indefinite-length")
}

func TestBatchAckNonCanonicalArrayHead(t *testing.T) {
	mustRejectFast(t, negAckMoreLongHead, wire.ErrMalformed, "canonical")
}

func TestBatchAckMoreBeforeID(t *testing.T) {
	mustRejectFast(t, negAckMoreBeforeID, wire.ErrMalformed, "canonical")
}

func TestBatchAckMoreNotArray(t *testing.T) {
	mustRejectFast(t, negAckMoreNotArray, wire.ErrMalformed, "cannot unmarshal")
}

func TestBatchAckMoreMisalignedItem(t *testing.T) {
	mustRejectFast(t, negAckMoreMisaligned, wire.ErrMalformed, "extraneous data")
}

// TestBatchLargestRoundTrip: MaxBatchIDs-1 More ids (MaxBatchIDs ids in
// all) round-trip through Marshal and Unmarshal, fast and generic alike,
// and the largest batch (with the largest Req) is 4,370 bytes, far below
// MaxFrameSize (65,536).
func TestBatchLargestRoundTrip(t *testing.T) {
	more := tooManyIDs()[:wire.MaxBatchIDs-1]
	for _, f := range []wire.Frame{
		{Req: math.MaxUint64, Ack: &wire.Ack{ID: fill(16, 0xc0), More: more}},
		{Req: math.MaxUint64, Accepted: &wire.Accepted{ID: fill(16, 0xc0), More: more}},
	} {
		b := checkSameEncoding(t, &f)
		checkSameDecoding(t, b, &f)
		if len(b) != 4370 || len(b) > wire.MaxFrameSize/8 {
			t.Fatalf("largest batch encodes to %d bytes, want 4370", len(b))
		}
	}
}
