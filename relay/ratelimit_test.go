package relay

import (
	"testing"
	"time"
)

// TestBucketTakeOutOfOrder: two sessions read the clock, then take the
// limiter's lock in the other order. The older time must not drain the
// bucket (with a high rate, a microsecond backwards cost thousands of
// tokens and refused a legitimate login).
func TestBucketTakeOutOfOrder(t *testing.T) {
	const rate, burst = 1e9, 10
	var b bucket
	t0 := time.Now()
	if !b.take(t0.Add(time.Millisecond), rate, burst) {
		t.Fatal("first take refused")
	}
	if !b.take(t0, rate, burst) {
		t.Fatal("a take with an older time was refused: the bucket was drained")
	}
	if b.tokens != burst-2 {
		t.Fatalf("tokens %v, want %v", b.tokens, burst-2)
	}
}

// TestBucketRefuseWhenEmpty: the limit still holds.
func TestBucketRefuseWhenEmpty(t *testing.T) {
	var b bucket
	now := time.Now()
	for i := range 3 {
		if !b.take(now, 1, 3) {
			t.Fatalf("take %d refused within the burst", i)
		}
	}
	if b.take(now, 1, 3) {
		t.Fatal("take beyond the burst allowed")
	}
	if !b.take(now.Add(time.Second), 1, 3) {
		t.Fatal("no refill after a second")
	}
}
