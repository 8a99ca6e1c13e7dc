package hop

import (
	"bytes"
	"testing"
)

// countingWriter records each Write it gets.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

func (w *countingWriter) Read(p []byte) (int, error) { return 0, nil }

func TestStreamCoalescesUntilFlush(t *testing.T) {
	w := &countingWriter{}
	b := NewStream(w)
	b.Buffer()
	for _, s := range []string{"one", "two", "three"} {
		if _, err := b.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if w.writes != 0 {
		t.Fatalf("%d stream writes before flush, want 0", w.writes)
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if w.writes != 1 || w.String() != "onetwothree" {
		t.Fatalf("after flush: %d writes of %q, want 1 write of %q", w.writes, w.String(), "onetwothree")
	}
	if b.w != nil {
		t.Fatal("flush kept the write buffer; an idle connection should hold none")
	}
}

func TestStreamWritesThroughBeforeHandshakeEnds(t *testing.T) {
	w := &countingWriter{}
	b := NewStream(w)
	if _, err := b.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if w.writes != 1 {
		t.Fatalf("%d stream writes, want 1 (unbuffered during the handshake)", w.writes)
	}
}
