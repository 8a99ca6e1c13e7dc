package link

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/securep2p/securep2p/wire"
)

func baseConfig(rec *recorder, addrs ...string) Config {
	return Config{Addrs: addrs, Handler: rec, OnState: rec.onState, RecordPin: rec.recordPin,
		MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond, DrainTime: 50 * time.Millisecond,
		// A relay stopped right after the hop handshake may drop the
		// connection without a word (see TestSilentRelayRotates): the link
		// must notice by its Pings, within the tests' waits.
		KeepAlive: time.Second, PongTimeout: time.Second}
}

// TestPinMismatchIsHardError: a relay whose key differs from the pin is
// dialled once; the link reports pin-error and never dials again.
func TestPinMismatchIsHardError(t *testing.T) {
	r := startRelay(t, newKey(t))
	rec := newRecorder()
	cd := &countingDial{d: dialQUIC}
	cfg := baseConfig(rec, r.addr)
	cfg.Pin, cfg.dial = newKey(t).Public(), cd.dial
	lk := run(t, cfg)
	waitFor(t, rec, "pin error", func() bool { return lk.l.State().Phase == PhasePinError })
	// A retry loop would dial again within a few MaxBackoffs (4ms).
	time.Sleep(200 * time.Millisecond)
	if got := cd.dialled(); len(got) != 1 {
		t.Fatalf("dialled %q after a key mismatch, want one attempt", got)
	}
	st := lk.l.State()
	if st.Phase != PhasePinError || !strings.Contains(st.LastError, "relay key mismatch at "+r.addr) {
		t.Fatalf("state %+v", st)
	}
	rec.mu.Lock()
	pins, ups := len(rec.pins), rec.ups
	rec.mu.Unlock()
	if pins != 0 || ups != 0 {
		t.Fatalf("a mismatching relay was recorded (%d) or used (%d)", pins, ups)
	}
	lk.stop(t)
	if p := lk.l.State().Phase; p != PhaseStopped {
		t.Fatalf("phase %s after Run returned", p)
	}
}

// TestTrustOnFirstUseRecordsOnce: with no pin the first relay key is
// recorded once; reconnecting checks it instead of recording it again.
func TestTrustOnFirstUseRecordsOnce(t *testing.T) {
	key := newKey(t)
	r := startRelay(t, key)
	rec := newRecorder()
	lk := run(t, baseConfig(rec, r.addr))
	waitConnected(t, rec, lk.l, r.addr)
	first := lk.l.Current()
	first.fail(errors.New("test: drop the connection"))
	waitFor(t, rec, "a second connection", func() bool {
		c := lk.l.Current()
		return c != nil && c != first
	})
	rec.mu.Lock()
	pins := rec.pins
	rec.mu.Unlock()
	if len(pins) != 1 || !pins[0].Equal(key.Public()) {
		t.Fatalf("recorded %v, want the relay key once", pins)
	}
	if got := lk.l.pinned(); !got.Equal(key.Public()) {
		t.Fatalf("pinned %v", got)
	}
}

// TestFailoverSharedKey: two relays sharing one key; the link trusts the
// key on the first, and when that one shuts down (CodeShuttingDown) it
// moves to the second, which the same pin accepts.
func TestFailoverSharedKey(t *testing.T) {
	key := newKey(t)
	r1, r2 := startRelay(t, key), startRelay(t, key)
	rec := newRecorder()
	lk := run(t, baseConfig(rec, r1.addr, r2.addr))
	waitConnected(t, rec, lk.l, r1.addr)
	r1.stop()
	waitConnected(t, rec, lk.l, r2.addr)
	waitFor(t, rec, "Up on the second connection", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return rec.ups == 2
	})
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.pins) != 1 || rec.ups != 2 || len(rec.downs) != 1 {
		t.Fatalf("pins %d, ups %d, downs %d; want 1, 2, 1", len(rec.pins), rec.ups, len(rec.downs))
	}
	if code, ok := remoteCode(rec.downs[0]); !ok || code != wire.CodeShuttingDown {
		t.Fatalf("first connection ended with %v, want the relay's shutting-down error", rec.downs[0])
	}
}

// TestPinMismatchOnSecondAddress: a node of the list with another key is
// the same hard error, even though the first node was trusted.
func TestPinMismatchOnSecondAddress(t *testing.T) {
	r1, r2 := startRelay(t, newKey(t)), startRelay(t, newKey(t))
	rec := newRecorder()
	cd := &countingDial{d: dialQUIC}
	cfg := baseConfig(rec, r1.addr, r2.addr)
	cfg.dial = cd.dial
	lk := run(t, cfg)
	waitConnected(t, rec, lk.l, r1.addr)
	r1.stop()
	waitFor(t, rec, "pin error", func() bool { return lk.l.State().Phase == PhasePinError })
	time.Sleep(200 * time.Millisecond)
	if got := cd.dialled(); !slices.Equal(got, []string{r1.addr, r2.addr}) {
		t.Fatalf("dialled %q, want r1 then r2 and nothing more", got)
	}
	if rec.pinCount() != 1 {
		t.Fatalf("recorded %d keys, want 1", rec.pinCount())
	}
	if st := lk.l.State(); st.Addr != r2.addr || !strings.Contains(st.LastError, r2.addr) {
		t.Fatalf("state %+v, want the mismatch at %s", st, r2.addr)
	}
}

func remoteCode(err error) (wire.Code, bool) {
	var re *wire.RemoteError
	if errors.As(err, &re) {
		return re.Code, true
	}
	return 0, false
}
