package faultproxy

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"slices"
	"sync"
	"testing"
	"time"
)

// sink is a UDP endpoint recording what it receives (and echoing it when
// echo is set).
type sink struct {
	conn *net.UDPConn
	echo bool
	mu   sync.Mutex
	got  [][]byte
	more chan struct{}
}

func newSink(t *testing.T, echo bool) *sink {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{conn: c, echo: echo, more: make(chan struct{}, 1)}
	t.Cleanup(func() { c.Close() })
	go s.read()
	return s
}

func (s *sink) addr() string { return s.conn.LocalAddr().String() }

func (s *sink) read() {
	buf := make([]byte, MaxDatagram)
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		s.mu.Lock()
		s.got = append(s.got, append([]byte(nil), buf[:n]...))
		s.mu.Unlock()
		if s.echo {
			s.conn.WriteToUDPAddrPort(buf[:n], from)
		}
		select {
		case s.more <- struct{}{}:
		default:
		}
	}
}

// wait returns the datagrams once at least n arrived (failing after 10s).
func (s *sink) wait(t *testing.T, n int) [][]byte {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		got := slices.Clone(s.got)
		s.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-s.more:
		case <-deadline:
			t.Fatalf("received %d datagrams, want %d", len(got), n)
		}
	}
}

func startProxy(t *testing.T, cfg Config) *Proxy {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fault proxy seed %d", p.Seed())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return p
}

func dialProxy(t *testing.T, p *Proxy) *net.UDPConn {
	t.Helper()
	ua, _ := net.ResolveUDPAddr("udp", p.Addr())
	c, err := net.DialUDP("udp", nil, ua)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// datagram i: its index, padded to a length that varies with i.
func datagram(i int) []byte {
	b := make([]byte, 8+i%50)
	binary.BigEndian.PutUint16(b, uint16(i))
	return b
}

// sendN sends datagrams 0..n-1 to the proxy, pausing every 16 until the
// proxy read them (so no socket buffer overflows, even under -race).
func sendN(t *testing.T, p *Proxy, c *net.UDPConn, n int) {
	t.Helper()
	base := p.Stats().Up.Received
	for i := range n {
		if _, err := c.Write(datagram(i)); err != nil {
			t.Fatal(err)
		}
		if i%16 == 15 || i == n-1 {
			waitReceived(t, p, base+uint64(i+1))
		}
	}
}

func waitReceived(t *testing.T, p *Proxy, n uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for p.Stats().Up.Received < n {
		if time.Now().After(deadline) {
			t.Fatalf("proxy read %d datagrams, want %d", p.Stats().Up.Received, n)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// waitHandled waits until n upstream-bound datagrams were dealt with.
func waitHandled(t *testing.T, p *Proxy, dir Direction, n uint64) DirStats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := p.Stats()
		d := st.Up
		if dir == Down {
			d = st.Down
		}
		if d.Forwarded+d.Dropped+d.Blackholed+d.Overflow-d.Duplicated >= n || time.Now().After(deadline) {
			return d
		}
		time.Sleep(time.Millisecond)
	}
}

func TestProxyForwardsBothWays(t *testing.T) {
	up := newSink(t, true)
	p := startProxy(t, Config{Upstream: up.addr(), Seed: 1})
	c := dialProxy(t, p)
	buf := make([]byte, 100)
	for i := range 100 {
		if _, err := c.Write(datagram(i)); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("echo %d: %v", i, err)
		}
		if !bytes.Equal(buf[:n], datagram(i)) {
			t.Fatalf("echo %d = %x, want %x", i, buf[:n], datagram(i))
		}
	}
	if st := p.Stats(); st.Up.Forwarded != 100 || st.Down.Forwarded != 100 || st.Flows != 1 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestProxyDropMatchesSeed(t *testing.T) {
	const n, seed = 300, 42
	f := Faults{Drop: 0.2}
	up := newSink(t, false)
	p := startProxy(t, Config{Upstream: up.addr(), Seed: seed, Up: f})
	sendN(t, p, dialProxy(t, p), n)
	var want [][]byte
	d := newDecider(seed, 0, Up)
	for i := range n {
		if !d.decide(f, len(datagram(i))).Drop {
			want = append(want, datagram(i))
		}
	}
	st := waitHandled(t, p, Up, n)
	got := up.wait(t, len(want))
	if int(st.Dropped) != n-len(want) || !slices.EqualFunc(got, want, bytes.Equal) {
		t.Fatalf("dropped %d, kept %d; want dropped %d and the seed's pattern", st.Dropped, len(got), n-len(want))
	}
	if len(want) == n || len(want) == 0 {
		t.Fatalf("seed %d dropped %d of %d: the test proves nothing", seed, n-len(want), n)
	}
}

func TestProxyDuplicatesEveryDatagram(t *testing.T) {
	up := newSink(t, false)
	p := startProxy(t, Config{Upstream: up.addr(), Up: Faults{Duplicate: 1}})
	sendN(t, p, dialProxy(t, p), 20)
	got := up.wait(t, 40)
	for i := range 20 {
		if !bytes.Equal(got[2*i], datagram(i)) || !bytes.Equal(got[2*i+1], datagram(i)) {
			t.Fatalf("datagrams %d,%d = %x,%x; want %x twice", 2*i, 2*i+1, got[2*i], got[2*i+1], datagram(i))
		}
	}
}

func TestProxyFlipsOneByte(t *testing.T) {
	up := newSink(t, false)
	p := startProxy(t, Config{Upstream: up.addr(), Up: Faults{Flip: 1}})
	sendN(t, p, dialProxy(t, p), 50)
	for i, g := range up.wait(t, 50) {
		want := datagram(i)
		diff := 0
		for j := range g {
			if g[j] != want[j] {
				diff++
			}
		}
		if len(g) != len(want) || diff != 1 {
			t.Fatalf("datagram %d = %x from %x: want exactly one byte changed", i, g, want)
		}
	}
	if st := p.Stats(); st.Up.Flipped != 50 {
		t.Fatalf("flipped = %d, want 50", st.Up.Flipped)
	}
}

func TestProxyBlackholeDropsBothWays(t *testing.T) {
	up := newSink(t, true)
	p := startProxy(t, Config{Upstream: up.addr()})
	c := dialProxy(t, p)
	p.SetBlackhole(true)
	sendN(t, p, c, 30)
	if st := waitHandled(t, p, Up, 30); st.Blackholed != 30 || st.Forwarded != 0 {
		t.Fatalf("during blackhole: %+v", st)
	}
	p.SetBlackhole(false)
	sendN(t, p, c, 5)
	if got := up.wait(t, 5); len(got) != 5 {
		t.Fatalf("after blackhole: %d datagrams", len(got))
	}
}

func TestProxyBlackholeWindowEnds(t *testing.T) {
	up := newSink(t, false)
	p := startProxy(t, Config{Upstream: up.addr()})
	c := dialProxy(t, p)
	p.Blackhole(time.Hour)
	sendN(t, p, c, 10)
	if st := waitHandled(t, p, Up, 10); st.Blackholed != 10 {
		t.Fatalf("during window: %+v", st)
	}
	p.Blackhole(0)
	sendN(t, p, c, 3)
	up.wait(t, 3)
}

func TestProxyReorderLosesNothing(t *testing.T) {
	const n = 200
	up := newSink(t, false)
	p := startProxy(t, Config{Upstream: up.addr(), Seed: 7, Up: Faults{Reorder: 0.3}})
	sendN(t, p, dialProxy(t, p), n)
	got := up.wait(t, n)
	sorted := slices.SortedFunc(slices.Values(got), func(a, b []byte) int {
		return int(binary.BigEndian.Uint16(a)) - int(binary.BigEndian.Uint16(b))
	})
	for i := range n {
		if !bytes.Equal(sorted[i], datagram(i)) {
			t.Fatalf("datagram %d missing or changed", i)
		}
	}
	if slices.EqualFunc(got, sorted, bytes.Equal) {
		t.Fatal("nothing was reordered")
	}
	if st := p.Stats(); st.Up.Reordered == 0 {
		t.Fatalf("stats report no reordering: %+v", st.Up)
	}
}

func TestProxyDelayDeliversAll(t *testing.T) {
	up := newSink(t, false)
	p := startProxy(t, Config{Upstream: up.addr(), Up: Faults{Delay: 5 * time.Millisecond, Jitter: 5 * time.Millisecond}})
	sendN(t, p, dialProxy(t, p), 50)
	if got := up.wait(t, 50); len(got) != 50 {
		t.Fatalf("got %d", len(got))
	}
	if st := p.Stats(); st.Up.Delayed != 50 {
		t.Fatalf("delayed = %d, want 50", st.Up.Delayed)
	}
}

func TestProxyPendingIsBounded(t *testing.T) {
	up := newSink(t, false)
	p := startProxy(t, Config{Upstream: up.addr(), MaxPending: 10, Up: Faults{Delay: time.Hour}})
	sendN(t, p, dialProxy(t, p), 50)
	st := waitHandled(t, p, Up, 40)
	if st.Delayed != 10 || st.Overflow != 40 {
		t.Fatalf("delayed %d overflow %d, want 10 and 40", st.Delayed, st.Overflow)
	}
}

func TestProxySetUpstreamMovesFlows(t *testing.T) {
	a, b := newSink(t, false), newSink(t, false)
	p := startProxy(t, Config{Upstream: a.addr()})
	c := dialProxy(t, p)
	sendN(t, p, c, 3)
	a.wait(t, 3)
	if err := p.SetUpstream(b.addr()); err != nil {
		t.Fatal(err)
	}
	sendN(t, p, c, 4)
	b.wait(t, 4)
}

func TestProxyMaxFlowsEvicts(t *testing.T) {
	up := newSink(t, false)
	p := startProxy(t, Config{Upstream: up.addr(), MaxFlows: 2})
	for range 3 {
		sendN(t, p, dialProxy(t, p), 1)
	}
	up.wait(t, 3)
	if st := p.Stats(); st.Flows != 2 {
		t.Fatalf("flows = %d, want 2", st.Flows)
	}
}

func TestNewRequiresUpstream(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatal("New without Upstream succeeded")
	}
}
