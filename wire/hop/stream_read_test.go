package hop

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

// chunkReader returns its data in reads of at most max bytes and counts
// the reads.
type chunkReader struct {
	data  []byte
	max   int
	reads int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	r.reads++
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.max)], r.data)
	r.data = r.data[n:]
	return n, nil
}

func (r *chunkReader) Write(p []byte) (int, error) { return len(p), nil }

// packets is n length-prefixed packets with size-byte bodies.
func packets(n, size int) []byte {
	var out []byte
	for i := range n {
		out = append(out, 0, 0, byte(size>>8), byte(size))
		out = append(out, bytes.Repeat([]byte{byte(i)}, size)...)
	}
	return out
}

func TestStreamReadCoalescesPackets(t *testing.T) {
	data := packets(10, 100)
	r := &chunkReader{data: bytes.Clone(data), max: 1 << 20}
	b := NewStream(r)
	got := make([]byte, len(data))
	for off := 0; off < len(data); off += 104 {
		if _, err := io.ReadFull(b, got[off:off+4]); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(b, got[off+4:off+104]); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, data) {
		t.Fatal("read data differs")
	}
	if r.reads > 3 {
		t.Fatalf("%d stream reads for 10 small packets, want at most 3", r.reads)
	}
}

func TestStreamIdleHoldsNoReadBuffer(t *testing.T) {
	data := packets(3, 300)
	b := NewStream(&chunkReader{data: bytes.Clone(data), max: 1 << 20})
	got, err := io.ReadAll(onlyReader{b})
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
	hdr := make([]byte, 4)
	if _, err := b.Read(hdr); err != io.EOF {
		t.Fatalf("read at end: %v, want io.EOF", err)
	}
	if b.rbuf != nil {
		t.Fatal("a drained stream kept its read buffer; an idle connection should hold none")
	}
}

func TestStreamReadSmallChunks(t *testing.T) {
	data := packets(5, 1000)
	b := NewStream(&chunkReader{data: bytes.Clone(data), max: 7})
	got, err := io.ReadAll(onlyReader{b})
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
}

func TestStreamReadErrorAfterData(t *testing.T) {
	data := packets(1, 50)
	b := NewStream(struct {
		io.Reader
		io.Writer
	}{iotest.DataErrReader(bytes.NewReader(data)), io.Discard})
	got := make([]byte, 54)
	if _, err := io.ReadFull(b, got[:4]); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(b, got[4:]); err != nil {
		t.Fatalf("data that came with EOF: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("read data differs")
	}
	if _, err := b.Read(make([]byte, 100)); err != io.EOF {
		t.Fatalf("after the data: %v, want io.EOF", err)
	}
}

// onlyReader hides every method but Read (io.ReadAll reads 512 bytes at a
// time: buffered reads).
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }
