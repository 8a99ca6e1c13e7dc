package link

import "time"

// backoff is the delay before reconnect attempt n (n >= 1): lo*2^(n-1),
// capped at hi, then jittered to a value in [d/2, d] by jitter, which
// returns a value in [0, k) for k > 0 (rand.N in production).
func backoff(n int, lo, hi time.Duration, jitter func(k time.Duration) time.Duration) time.Duration {
	d := lo << (min(max(n, 1), 21) - 1)
	if d > hi || d <= 0 {
		d = hi
	}
	return d/2 + jitter(d/2+1)
}
