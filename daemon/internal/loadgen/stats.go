package loadgen

import (
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// maxSamples bounds the latency samples kept (about 80 MB).
const maxSamples = 10_000_000

// percentile is the nearest-rank p-th percentile (0 < p <= 100) of sorted
// samples: the smallest value with at least p% of the samples at or below
// it. Zero for no samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 || p <= 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	return sorted[min(max(rank, 1), n)-1]
}

func sortDurations(d []time.Duration) { slices.Sort(d) }

// counters are a run's shared tallies.
type counters struct {
	msgs     atomic.Int64 // messages decrypted in the measured phase
	errors   atomic.Int64
	timeouts atomic.Int64
	measure  atomic.Bool // inside the measured phase

	mu       sync.Mutex
	firstErr string
	samples  []time.Duration
}

// fail counts an error and keeps the first one's text (no secrets: errors
// here come from the network, the relay's codes and e2e's typed errors).
func (c *counters) fail(err error) {
	c.errors.Add(1)
	c.mu.Lock()
	if c.firstErr == "" && err != nil {
		c.firstErr = err.Error()
	}
	c.mu.Unlock()
}

// first is the first error's text.
func (c *counters) first() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.firstErr
}

// addSamples merges one user's latency samples.
func (c *counters) addSamples(s []time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	room := maxSamples - len(c.samples)
	c.samples = append(c.samples, s[:min(len(s), max(room, 0))]...)
}

func (c *counters) fill(r *Result) {
	r.Errors, r.Timeouts = c.errors.Load(), c.timeouts.Load()
	c.mu.Lock()
	r.FirstErr = c.firstErr
	r.setLatency(c.samples)
	c.mu.Unlock()
}
