package loadgen

import (
	"testing"
	"time"

	"github.com/securep2p/securep2p/daemon/internal/link"
)

func TestPercentile(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 100; i++ {
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {90, 90 * time.Millisecond}, {99, 99 * time.Millisecond},
		{100, 100 * time.Millisecond}, {0.5, 1 * time.Millisecond}, {99.5, 100 * time.Millisecond}} {
		if got := percentile(s, c.p); got != c.want {
			t.Errorf("percentile(1..100ms, %v) = %v, want %v", c.p, got, c.want)
		}
	}
}

func TestPercentileSmall(t *testing.T) {
	s := []time.Duration{3, 1, 2}
	sortDurations(s)
	if got := percentile(s, 50); got != 2 {
		t.Errorf("p50 of {1,2,3} = %v, want 2", got)
	}
	if got := percentile(s, 99); got != 3 {
		t.Errorf("p99 of {1,2,3} = %v, want 3", got)
	}
	if got := percentile(s[:1], 50); got != 1 {
		t.Errorf("p50 of {1} = %v, want 1", got)
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nothing = %v, want 0", got)
	}
}

func TestAddSamplesBounded(t *testing.T) {
	var c counters
	c.samples = make([]time.Duration, maxSamples-1)
	c.addSamples([]time.Duration{1, 2, 3})
	if len(c.samples) != maxSamples {
		t.Fatalf("kept %d samples, want the cap %d", len(c.samples), maxSamples)
	}
}

func TestPerMsgPackets(t *testing.T) {
	from := link.Stats{PacketsSent: 10, PacketsReceived: 20}
	to := link.Stats{PacketsSent: 30, PacketsReceived: 60}
	if s, r := perMsg(to, from, 20); s != 1 || r != 2 {
		t.Fatalf("perMsg = %v, %v; want 1, 2", s, r)
	}
}

func TestPerMsgConnectionReplaced(t *testing.T) {
	from := link.Stats{PacketsSent: 100, PacketsReceived: 100}
	to := link.Stats{PacketsSent: 5, PacketsReceived: 7} // counters of a new connection
	if s, r := perMsg(to, from, 20); s != 0 || r != 0 {
		t.Fatalf("perMsg after a reconnect = %v, %v; want 0, 0 (not measured)", s, r)
	}
}
