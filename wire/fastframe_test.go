package wire_test

import (
	"bytes"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/securep2p/securep2p/wire"
)

// Differential tests: the fast path (fastframe.go) against the generic
// fxamacker/cbor path, which stays the reference.

// interestingUints are the head-size boundaries of CBOR integers.
var interestingUints = []uint64{0, 1, 23, 24, 255, 256, 65535, 65536,
	math.MaxUint32, math.MaxUint32 + 1, math.MaxUint64}

// bodyLens crosses every length-head boundary up to MaxBodySize.
var bodyLens = []int{1, 23, 24, 200, 255, 256, 4096, wire.MaxBodySize}

func pickUint(r *rand.Rand) uint64 {
	if r.IntN(3) == 0 {
		return r.Uint64() >> r.IntN(64)
	}
	return interestingUints[r.IntN(len(interestingUints))]
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// randName is valid UTF-8 of 1..32 bytes, ASCII or multi-byte.
func randName(r *rand.Rand) string {
	runes := []rune{'a', 'z', '_', '0', 'é', '€', '😀', 'K'}
	var b []byte
	limit := 1 + r.IntN(wire.MaxUsernameLen)
	for {
		next := string(runes[r.IntN(len(runes))])
		if len(b)+len(next) > limit {
			break
		}
		b = append(b, next...)
	}
	if len(b) == 0 {
		b = []byte{'x'}
	}
	return string(b)
}

func randBody(r *rand.Rand) []byte {
	if r.IntN(4) == 0 {
		return randBytes(r, bodyLens[r.IntN(len(bodyLens))])
	}
	return randBytes(r, 1+r.IntN(300))
}

// batchLens crosses the array-head boundary and reaches the largest batch.
var batchLens = []int{1, 2, 23, 24, 63, 64, wire.MaxBatchIDs - 2, wire.MaxBatchIDs - 1}

// randMore is nil (a single-id frame) half of the time, else a valid More.
func randMore(r *rand.Rand) [][]byte {
	if r.IntN(2) == 0 {
		return nil
	}
	n := 1 + r.IntN(8)
	if r.IntN(4) == 0 {
		n = batchLens[r.IntN(len(batchLens))]
	}
	more := make([][]byte, n)
	for i := range more {
		more[i] = randBytes(r, wire.IDSize)
	}
	return more
}

// randHotFrame returns a valid frame of one of the fast-path types.
func randHotFrame(r *rand.Rand) wire.Frame {
	var f wire.Frame
	if r.IntN(2) == 0 {
		f.Req = pickUint(r)
	}
	id := randBytes(r, wire.IDSize)
	switch r.IntN(6) {
	case 0:
		f.Send = &wire.Send{ID: id, To: randName(r), Body: randBody(r), IdentityKey: randBytes(r, wire.KeySize)}
	case 1:
		f.Deliver = &wire.Deliver{ID: id, From: randName(r), Body: randBody(r), SentAt: pickUint(r)}
	case 2:
		f.Accepted = &wire.Accepted{ID: id, More: randMore(r)}
	case 3:
		f.Ack = &wire.Ack{ID: id, More: randMore(r)}
	case 4:
		f.Ping = &wire.Ping{N: pickUint(r)}
	default:
		f.Pong = &wire.Pong{N: pickUint(r)}
	}
	return f
}

func isHot(t wire.Type) bool {
	switch t {
	case wire.TypeSend, wire.TypeDeliver, wire.TypeAccepted, wire.TypeAck, wire.TypePing, wire.TypePong:
		return true
	}
	return false
}

// checkSameEncoding: Marshal, AppendFrame and the generic encoder agree.
func checkSameEncoding(t *testing.T, f *wire.Frame) []byte {
	t.Helper()
	want, err := wire.MarshalGeneric(f)
	if err != nil {
		t.Fatalf("generic Marshal(%+v): %v", f, err)
	}
	got, err := wire.Marshal(f)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Marshal = %x, %v\ngeneric   %x", got, err, want)
	}
	if isHot(f.Type()) && cap(got) != len(got) {
		t.Fatalf("Marshal: cap %d != len %d (size precomputed wrongly)", cap(got), len(got))
	}
	prefix := []byte{0xde, 0xad}
	app, err := wire.AppendFrame(bytes.Clone(prefix), f)
	if err != nil || !bytes.Equal(app, append(prefix, want...)) {
		t.Fatalf("AppendFrame = %x, %v\nwant        %x", app, err, append(prefix, want...))
	}
	return want
}

// checkSameDecoding: Unmarshal equals the generic decoder on a valid
// encoding, and a hot frame is taken by the fast decoder itself.
func checkSameDecoding(t *testing.T, b []byte, want *wire.Frame) {
	t.Helper()
	var got, gen, hot wire.Frame
	if err := wire.Unmarshal(b, &got); err != nil {
		t.Fatalf("Unmarshal(%x): %v", b, err)
	}
	if err := wire.UnmarshalGeneric(b, &gen); err != nil {
		t.Fatalf("generic Unmarshal(%x): %v", b, err)
	}
	if !reflect.DeepEqual(got, gen) || !reflect.DeepEqual(got, *want) {
		t.Fatalf("decoded frames differ:\nfast    %+v\ngeneric %+v\nwant    %+v", got, gen, *want)
	}
	if isHot(want.Type()) && (!wire.DecodeHot(b, &hot) || !reflect.DeepEqual(hot, gen)) {
		t.Fatalf("fast decoder did not take the canonical %d frame %x", want.Type(), b)
	}
}

func TestFastPathMatchesGeneric(t *testing.T) {
	t.Run("goldens", func(t *testing.T) {
		for _, name := range sortedGoldenNames() {
			f := goldens[name]
			b := checkSameEncoding(t, &f)
			if !bytes.Equal(b, readGolden(t, name)) {
				t.Fatalf("%s: encoding differs from the golden file", name)
			}
			checkSameDecoding(t, b, &f)
		}
	})
	t.Run("generated", func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for range 3000 {
			f := randHotFrame(r)
			checkSameDecoding(t, checkSameEncoding(t, &f), &f)
		}
	})
}

// TestFastPathRefusesLikeGeneric: every invalid frame of a hot type is
// refused by Marshal and AppendFrame with the generic error, and
// AppendFrame leaves dst as it was.
func TestFastPathRefusesLikeGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		f := randHotFrame(r)
		breakFrame(r, &f)
		_, want := wire.MarshalGeneric(&f)
		got, err := wire.Marshal(&f)
		if want == nil || err == nil || err.Error() != want.Error() || got != nil {
			t.Fatalf("Marshal(%+v) = %x, %v; generic error %v", f, got, err, want)
		}
		dst := []byte{1, 2, 3}
		app, err := wire.AppendFrame(dst, &f)
		if err == nil || err.Error() != want.Error() || !bytes.Equal(app, dst) {
			t.Fatalf("AppendFrame = %x, %v; generic error %v", app, err, want)
		}
	}
}

// breakFrame makes a valid hot frame invalid in one field.
func breakFrame(r *rand.Rand, f *wire.Frame) {
	switch {
	case f.Send != nil && r.IntN(2) == 0:
		f.Send.IdentityKey = f.Send.IdentityKey[:r.IntN(wire.KeySize)]
	case f.Send != nil:
		f.Send.Body = make([]byte, wire.MaxBodySize+1)
	case f.Deliver != nil:
		f.Deliver.From = ""
	case f.Accepted != nil && len(f.Accepted.More) > 0 && r.IntN(2) == 0:
		i := r.IntN(len(f.Accepted.More))
		f.Accepted.More[i] = f.Accepted.More[i][:r.IntN(wire.IDSize)]
	case f.Accepted != nil:
		f.Accepted.ID = nil
	case f.Ack != nil && r.IntN(2) == 0:
		f.Ack.More = tooManyIDs()
	case f.Ack != nil:
		f.Ack.ID = append(f.Ack.ID, 0)
	default:
		f.Error = &wire.Error{} // a second payload
	}
}

func TestFastDecodeOwnsBytes(t *testing.T) {
	f := *send200()
	b, err := wire.Marshal(&f)
	if err != nil {
		t.Fatal(err)
	}
	var got wire.Frame
	if err := wire.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	clear(b)
	if !reflect.DeepEqual(got, f) {
		t.Fatal("decoded frame changed with its input buffer")
	}
	// Appending to one field must not write into another.
	s := got.Send
	_ = append(s.ID, 0xee)
	_ = append(s.IdentityKey, 0xee)
	if s.To != f.Send.To || !bytes.Equal(s.IdentityKey, f.Send.IdentityKey) {
		t.Fatal("a decoded field's capacity reaches into another field")
	}
}

// tooManyIDs is a More of MaxBatchIDs valid ids: one more than fits.
func tooManyIDs() [][]byte {
	more := make([][]byte, wire.MaxBatchIDs)
	for i := range more {
		more[i] = fill(wire.IDSize, byte(i))
	}
	return more
}

// TestFastDecodeBatchOwnsBytes: the ids of a decoded More are copies, and
// appending to one does not write into the next (they share one array).
func TestFastDecodeBatchOwnsBytes(t *testing.T) {
	f := goldens["ack_batch"]
	b, err := wire.Marshal(&f)
	if err != nil {
		t.Fatal(err)
	}
	var got wire.Frame
	if !wire.DecodeHot(b, &got) {
		t.Fatal("fast decoder did not take the batched Ack")
	}
	clear(b)
	if !reflect.DeepEqual(got, f) {
		t.Fatal("decoded batch changed with its input buffer")
	}
	_ = append(got.Ack.More[0], 0xee)
	if !bytes.Equal(got.Ack.More[1], f.Ack.More[1]) {
		t.Fatal("a decoded id's capacity reaches into the next id")
	}
}

// TestFastEncodeEmptyMore: an empty, non-nil More is omitted, as the
// generic encoder's omitempty does: the bytes of the single-id frame.
func TestFastEncodeEmptyMore(t *testing.T) {
	f := wire.Frame{Ack: &wire.Ack{ID: fill(16, 0xc0), More: [][]byte{}}}
	if b := checkSameEncoding(t, &f); !bytes.Equal(b, readGolden(t, "ack")) {
		t.Fatalf("Ack with an empty More = %x, want the single-id golden", b)
	}
}

func TestFastDecodeAllocs(t *testing.T) {
	cases := map[string]int{"send": 2, "deliver": 2, "accepted": 1, "ack": 1, "ping": 1, "pong": 1,
		"ack_batch": 3, "accepted_batch": 3}
	for name, max := range cases {
		b := readGolden(t, name)
		var f wire.Frame
		n := testing.AllocsPerRun(100, func() {
			if err := wire.Unmarshal(b, &f); err != nil {
				t.Fatal(err)
			}
		})
		if int(n) > max {
			t.Errorf("Unmarshal(%s): %v allocations, want <= %d", name, n, max)
		}
	}
}

func TestAppendFrameNoAllocs(t *testing.T) {
	f := send200()
	buf := make([]byte, 0, 512)
	n := testing.AllocsPerRun(100, func() {
		var err error
		if buf, err = wire.AppendFrame(buf[:0], f); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Fatalf("AppendFrame into a large enough buffer: %v allocations, want 0", n)
	}
}

// TestFastEncodeLargestSendFits: the largest valid hot frame is below
// MaxFrameSize, which is why the fast encoder has no size check.
func TestFastEncodeLargestSendFits(t *testing.T) {
	f := wire.Frame{Req: math.MaxUint64, Send: &wire.Send{ID: make([]byte, wire.IDSize),
		To: string(bytes.Repeat([]byte{'a'}, wire.MaxUsernameLen)), Body: make([]byte, wire.MaxBodySize),
		IdentityKey: make([]byte, wire.KeySize)}}
	b := checkSameEncoding(t, &f)
	if len(b) != 61547 || len(b) > wire.MaxFrameSize {
		t.Fatalf("largest Send encodes to %d bytes, want 61547 (<= %d)", len(b), wire.MaxFrameSize)
	}
}
