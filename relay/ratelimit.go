package relay

import (
	"sync"
	"time"
)

// bucket is a token bucket: burst tokens, refilled at rate per second.
type bucket struct {
	tokens float64
	last   time.Time
}

// take spends a token at now. Callers read the clock before taking the
// limiter's lock, so now may be slightly older than the last take: such a
// take refills nothing (it must not drain the bucket) and last stays.
func (b *bucket) take(now time.Time, rate, burst float64) bool {
	if b.last.IsZero() {
		b.tokens, b.last = burst, now
	}
	if now.After(b.last) {
		b.tokens = min(burst, b.tokens+now.Sub(b.last).Seconds()*rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (b *bucket) full(now time.Time, rate, burst float64) bool {
	return b.tokens+now.Sub(b.last).Seconds()*rate >= burst
}

// keyedLimiter is a token bucket per key (a source address). Idle keys are
// purged when the map grows past maxKeys.
type keyedLimiter struct {
	mu      sync.Mutex
	m       map[string]*bucket
	rate    float64
	burst   float64
	maxKeys int
}

func newKeyedLimiter(rate float64, burst int) *keyedLimiter {
	return &keyedLimiter{m: map[string]*bucket{}, rate: rate, burst: float64(burst), maxKeys: 100000}
}

func (l *keyedLimiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.m[key]
	if !ok {
		if len(l.m) >= l.maxKeys {
			l.purgeLocked(now)
		}
		b = &bucket{}
		l.m[key] = b
	}
	return b.take(now, l.rate, l.burst)
}

func (l *keyedLimiter) purgeLocked(now time.Time) {
	for k, b := range l.m {
		if b.full(now, l.rate, l.burst) {
			delete(l.m, k)
		}
	}
}

// failureLimiter counts consecutive authentication failures per username
// (existing or not, so that its answers reveal nothing about existence).
// The first free failures cost nothing; each further attempt waits
// base << (n-free), capped at maxBackoff; after max consecutive failures
// the name is locked for lockout. A success resets the count.
type failureLimiter struct {
	mu         sync.Mutex
	m          map[string]*failState
	free       int
	max        int
	base       time.Duration
	maxBackoff time.Duration
	lockout    time.Duration
	maxKeys    int
}

type failState struct {
	n    int
	last time.Time
}

// check reports whether an attempt for name is allowed at now, and if not,
// how long to wait.
func (l *failureLimiter) check(name string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st, ok := l.m[name]
	if !ok || st.n < l.free {
		return true, 0
	}
	if st.n >= l.max {
		if wait := st.last.Add(l.lockout).Sub(now); wait > 0 {
			return false, wait
		}
		st.n = l.free // lockout served: continue with the shortest backoff
	}
	if wait := st.last.Add(l.backoff(st.n)).Sub(now); wait > 0 {
		return false, wait
	}
	return true, 0
}

func (l *failureLimiter) backoff(n int) time.Duration {
	shift := n - l.free
	if shift > 30 {
		return l.maxBackoff
	}
	return min(l.base<<shift, l.maxBackoff)
}

func (l *failureLimiter) fail(name string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st, ok := l.m[name]
	if !ok {
		if len(l.m) >= l.maxKeys {
			l.purgeLocked(now)
		}
		st = &failState{}
		l.m[name] = st
	}
	st.n = min(st.n+1, l.max)
	st.last = now
}

func (l *failureLimiter) success(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, name)
}

func (l *failureLimiter) purgeLocked(now time.Time) {
	for k, st := range l.m {
		if now.Sub(st.last) > l.lockout {
			delete(l.m, k)
		}
	}
}
