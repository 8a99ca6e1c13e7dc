package wire_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/securep2p/securep2p/wire"
)

// hugePrefixReader yields one length prefix and fails the test if anything
// reads past it: the body of an oversized packet must never be read.
type hugePrefixReader struct {
	t    testing.TB
	hdr  []byte
	done bool
}

func (r *hugePrefixReader) Read(p []byte) (int, error) {
	if r.done || len(r.hdr) == 0 {
		r.t.Errorf("ReadPacket read past an oversized length prefix")
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, r.hdr)
	r.hdr = r.hdr[n:]
	r.done = len(r.hdr) == 0
	return n, nil
}

func TestReadPacketOversizedPrefixRefusedBeforeAlloc(t *testing.T) {
	hdr := binary.BigEndian.AppendUint32(nil, 0xffffffff)
	read := func() {
		_, err := wire.ReadPacket(&hugePrefixReader{t: t, hdr: hdr}, nil, wire.MaxFrameSize)
		if !errors.Is(err, wire.ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
	}
	// Averaged over many calls so stray allocations by the runtime or the
	// test framework cannot make this flaky; a body allocation would be 4 GiB.
	const runs = 100
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		read()
	}
	runtime.ReadMemStats(&after)
	if n := (after.TotalAlloc - before.TotalAlloc) / runs; n > 1024 {
		t.Fatalf("refusing a 4 GiB prefix allocated %d bytes per call", n)
	}
	// A few small allocations remain (the header array escaping into the
	// io.Reader call, the error value); none is proportional to the prefix.
	if allocs := testing.AllocsPerRun(20, read); allocs > 8 {
		t.Fatalf("%.0f allocations to refuse an oversized prefix", allocs)
	}
}

func TestReadPacketMaxPlusOneRefused(t *testing.T) {
	hdr := binary.BigEndian.AppendUint32(nil, uint32(wire.MaxFrameSize+1))
	if _, err := wire.ReadPacket(&hugePrefixReader{t: t, hdr: hdr}, nil, wire.MaxFrameSize); !errors.Is(err, wire.ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

func TestReadPacketRoundTrip(t *testing.T) {
	var stream []byte
	bodies := [][]byte{{}, []byte("one"), bytes.Repeat([]byte{7}, wire.MaxFrameSize)}
	for _, b := range bodies {
		var err error
		if stream, err = wire.AppendPacket(stream, b, wire.MaxFrameSize); err != nil {
			t.Fatal(err)
		}
	}
	r := bytes.NewReader(stream)
	buf := make([]byte, 0, 16)
	for i, want := range bodies {
		got, err := wire.ReadPacket(r, buf, wire.MaxFrameSize)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("packet %d: %d bytes, %v", i, len(got), err)
		}
	}
	if _, err := wire.ReadPacket(r, buf, wire.MaxFrameSize); err != io.EOF {
		t.Fatalf("after the last packet: %v, want io.EOF", err)
	}
}

func TestReadPacketReusesBuffer(t *testing.T) {
	pkt, _ := wire.AppendPacket(nil, []byte("hello"), 64)
	buf := make([]byte, 0, 64)
	got, err := wire.ReadPacket(bytes.NewReader(pkt), buf, 64)
	if err != nil || &got[0] != &buf[:1][0] {
		t.Fatalf("buffer not reused: %v", err)
	}
}

func TestReadPacketTruncated(t *testing.T) {
	pkt, _ := wire.AppendPacket(nil, []byte("0123456789"), 64)
	for _, n := range []int{1, 3, 4, 9, len(pkt) - 1} {
		_, err := wire.ReadPacket(bytes.NewReader(pkt[:n]), nil, 64)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("cut at %d: err = %v, want io.ErrUnexpectedEOF", n, err)
		}
	}
	if _, err := wire.ReadPacket(bytes.NewReader(nil), nil, 64); err != io.EOF {
		t.Errorf("empty stream: err = %v, want io.EOF (clean end between packets)", err)
	}
}

func TestAppendPacketRefusesOversized(t *testing.T) {
	dst := []byte("prefix")
	out, err := wire.AppendPacket(dst, make([]byte, wire.MaxFrameSize+1), wire.MaxFrameSize)
	if !errors.Is(err, wire.ErrTooLarge) || !bytes.Equal(out, []byte("prefix")) {
		t.Fatalf("AppendPacket = %d bytes, %v; want dst unchanged and ErrTooLarge", len(out), err)
	}
}
