package link

import (
	"errors"
	"testing"
)

// TestCloseEndsConnectionAndRedials: Conn.Close ends that connection with
// the given cause (Down reports it, Request on it fails) and the link
// dials a new one.
func TestCloseEndsConnectionAndRedials(t *testing.T) {
	r := startRelay(t, newKey(t))
	rec := newRecorder()
	lk := run(t, baseConfig(rec, r.addr))
	waitConnected(t, rec, lk.l, r.addr)
	first := lk.l.Current()
	cause := errors.New("test: session state unknown")
	first.Close(cause)
	if !errors.Is(first.Err(), cause) {
		t.Fatalf("Err after Close: %v, want the cause", first.Err())
	}
	if err := first.TryWrite(nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("TryWrite after Close: %v, want ErrClosed", err)
	}
	waitFor(t, rec, "a second connection", func() bool {
		c := lk.l.Current()
		return c != nil && c != first
	})
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.downs) != 1 || !errors.Is(rec.downs[0], cause) {
		t.Fatalf("downs %v, want one with the Close cause", rec.downs)
	}
}
