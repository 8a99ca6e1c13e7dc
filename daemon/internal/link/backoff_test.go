package link

import (
	"math/rand/v2"
	"testing"
	"time"
)

func noJitter(time.Duration) time.Duration       { return 0 }
func fullJitter(k time.Duration) time.Duration   { return k - 1 }
func randomJitter(k time.Duration) time.Duration { return rand.N(k) }
func expected(n int, lo, hi time.Duration) time.Duration {
	d := lo
	for i := 1; i < n && d < hi; i++ {
		d *= 2
	}
	return min(d, hi)
}

// TestBackoffGrows: without jitter the delays double from MinBackoff
// (halved by the jitter floor) until MaxBackoff caps them.
func TestBackoffGrows(t *testing.T) {
	lo, hi := 250*time.Millisecond, 30*time.Second
	var prev time.Duration
	for n := 1; n <= 12; n++ {
		d := expected(n, lo, hi)
		if got := backoff(n, lo, hi, noJitter); got != d/2 {
			t.Errorf("attempt %d: shortest %v, want %v", n, got, d/2)
		}
		if got := backoff(n, lo, hi, fullJitter); got != d {
			t.Errorf("attempt %d: longest %v, want %v", n, got, d)
		}
		if d < prev {
			t.Errorf("attempt %d: %v shorter than before (%v)", n, d, prev)
		}
		prev = d
	}
	if got := backoff(12, lo, hi, fullJitter); got != hi {
		t.Errorf("attempt 12: %v, want the cap %v", got, hi)
	}
}

// TestBackoffJittered: real randomness spreads the delays over [d/2, d].
func TestBackoffJittered(t *testing.T) {
	lo, hi := 250*time.Millisecond, 30*time.Second
	seen := map[time.Duration]bool{}
	for range 50 {
		got := backoff(4, lo, hi, randomJitter)
		if got < time.Second || got > 2*time.Second {
			t.Fatalf("attempt 4: %v outside [1s, 2s]", got)
		}
		seen[got] = true
	}
	if len(seen) < 2 {
		t.Fatalf("50 delays took %d distinct values: not jittered", len(seen))
	}
}

// TestBackoffHugeAttempt: a long outage neither overflows nor exceeds the cap.
func TestBackoffHugeAttempt(t *testing.T) {
	for _, n := range []int{30, 63, 64, 1 << 20} {
		if got := backoff(n, time.Hour, 2*time.Hour, fullJitter); got != 2*time.Hour {
			t.Errorf("attempt %d: %v, want the cap", n, got)
		}
	}
	if got := backoff(0, time.Second, time.Minute, fullJitter); got != time.Second {
		t.Errorf("attempt 0: %v, want MinBackoff", got)
	}
}
