package wire_test

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/securep2p/securep2p/wire"
)

// fastSeeds are valid hot frames plus the inputs of the fast-path negative
// tests, so the fuzzer starts next to every boundary.
func fastSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, name := range sortedGoldenNames() {
		seeds = append(seeds, readGolden(t, name))
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 20 {
		f := randHotFrame(r)
		b, err := wire.Marshal(&f)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	seeds = append(seeds, batchNegativeInputs(t)...)
	return append(seeds, fastNegativeInputs(t)...)
}

// FuzzFastDecodeMatchesGeneric: for any input, Unmarshal (fast path, then
// generic fallback) and the generic path alone accept the same inputs,
// decode equal frames and return the same error; and the fast decoder alone
// accepts exactly the generic path's valid hot frames.
func FuzzFastDecodeMatchesGeneric(f *testing.F) {
	for _, s := range fastSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got, gen, hot wire.Frame
		err := wire.Unmarshal(b, &got)
		genErr := wire.UnmarshalGeneric(b, &gen)
		if (err == nil) != (genErr == nil) || err != nil && err.Error() != genErr.Error() {
			t.Fatalf("Unmarshal(%x) = %v, generic %v", b, err, genErr)
		}
		if err == nil && !reflect.DeepEqual(got, gen) {
			t.Fatalf("Unmarshal(%x) = %+v, generic %+v", b, got, gen)
		}
		fast := wire.DecodeHot(b, &hot)
		if fast && (genErr != nil || !reflect.DeepEqual(hot, gen)) {
			t.Fatalf("fast decoder accepted %x (%+v), generic: %v", b, hot, genErr)
		}
		if !fast && genErr == nil && isHot(gen.Type()) {
			t.Fatalf("fast decoder refused the valid hot frame %x", b)
		}
		if !fast && !reflect.DeepEqual(hot, wire.Frame{}) {
			t.Fatalf("fast decoder wrote to the frame while refusing %x", b)
		}
	})
}

// FuzzFastEncodeMatchesGeneric: frames of the hot types built from arbitrary
// field values (valid or not; an Ack or Accepted takes its More from body)
// get identical bytes, or the identical error, from Marshal, AppendFrame
// and the generic encoder.
func FuzzFastEncodeMatchesGeneric(f *testing.F) {
	f.Add(uint8(0), uint64(0), bytes.Repeat([]byte{1}, 16), "bob", []byte("body"), bytes.Repeat([]byte{2}, 33), uint64(7))
	f.Add(uint8(1), uint64(300), bytes.Repeat([]byte{1}, 16), "alice", make([]byte, 256), []byte(nil), uint64(1<<40))
	f.Add(uint8(2), uint64(24), bytes.Repeat([]byte{1}, 16), "", []byte(nil), []byte(nil), uint64(0))
	f.Add(uint8(3), uint64(1), bytes.Repeat([]byte{1}, 15), "", []byte(nil), []byte(nil), uint64(0))
	f.Add(uint8(4), uint64(1<<33), []byte(nil), "", []byte(nil), []byte(nil), uint64(65536))
	f.Add(uint8(5), uint64(0), []byte(nil), "\xff", []byte(nil), []byte(nil), uint64(23))
	// Batched Ack and Accepted: body is cut into More ids of n%20+1 bytes.
	f.Add(uint8(3), uint64(0), bytes.Repeat([]byte{1}, 16), "", make([]byte, 3*16), []byte(nil), uint64(15))
	f.Add(uint8(2), uint64(9), bytes.Repeat([]byte{1}, 16), "", make([]byte, 24*16), []byte(nil), uint64(15))
	f.Add(uint8(3), uint64(0), bytes.Repeat([]byte{1}, 16), "", make([]byte, (wire.MaxBatchIDs-1)*16), []byte(nil), uint64(15))
	f.Add(uint8(3), uint64(0), bytes.Repeat([]byte{1}, 16), "", make([]byte, wire.MaxBatchIDs*16), []byte(nil), uint64(15))
	f.Add(uint8(2), uint64(0), bytes.Repeat([]byte{1}, 16), "", make([]byte, 2*15), []byte(nil), uint64(14))
	f.Add(uint8(3), uint64(0), bytes.Repeat([]byte{1}, 16), "", make([]byte, 2*17), []byte(nil), uint64(16))
	f.Add(uint8(3), uint64(0), bytes.Repeat([]byte{1}, 16), "", []byte{}, []byte(nil), uint64(15))
	f.Fuzz(func(t *testing.T, kind uint8, req uint64, id []byte, name string, body, key []byte, n uint64) {
		fr := hotFrameOf(kind, req, id, name, body, key, n)
		want, wantErr := wire.MarshalGeneric(&fr)
		got, err := wire.Marshal(&fr)
		if !sameResult(got, err, want, wantErr) {
			t.Fatalf("Marshal(%+v) = %x, %v; generic %x, %v", fr, got, err, want, wantErr)
		}
		prefix := []byte{0xaa}
		app, err := wire.AppendFrame(bytes.Clone(prefix), &fr)
		if wantErr == nil && (err != nil || !bytes.Equal(app, append(prefix, want...))) ||
			wantErr != nil && (err == nil || err.Error() != wantErr.Error() || !bytes.Equal(app, prefix)) {
			t.Fatalf("AppendFrame(%+v) = %x, %v; generic %x, %v", fr, app, err, want, wantErr)
		}
	})
}

func hotFrameOf(kind uint8, req uint64, id []byte, name string, body, key []byte, n uint64) wire.Frame {
	f := wire.Frame{Req: req}
	switch kind % 6 {
	case 0:
		f.Send = &wire.Send{ID: id, To: name, Body: body, IdentityKey: key}
	case 1:
		f.Deliver = &wire.Deliver{ID: id, From: name, Body: body, SentAt: n}
	case 2:
		f.Accepted = &wire.Accepted{ID: id, More: cutIDs(body, n)}
	case 3:
		f.Ack = &wire.Ack{ID: id, More: cutIDs(body, n)}
	case 4:
		f.Ping = &wire.Ping{N: n}
	default:
		f.Pong = &wire.Pong{N: n}
	}
	return f
}

// cutIDs cuts b into ids of n%20+1 bytes (the last one may be shorter):
// nil for a nil b, an empty non-nil More for an empty one.
func cutIDs(b []byte, n uint64) [][]byte {
	if b == nil {
		return nil
	}
	size := int(n%20) + 1
	more := [][]byte{}
	for len(b) > 0 {
		k := min(size, len(b))
		more, b = append(more, b[:k]), b[k:]
	}
	return more
}

func sameResult(got []byte, err error, want []byte, wantErr error) bool {
	if wantErr != nil {
		return err != nil && err.Error() == wantErr.Error() && got == nil
	}
	return err == nil && bytes.Equal(got, want)
}
