package relay

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/securep2p/securep2p/relay/store"
	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/hop"
)

// benchConfig lifts the per-connection send limit (the benchmarks measure
// the relay, not its policy) and the mailbox quota.
func benchConfig() Config {
	return Config{SendRate: 1e9, SendBurst: 1 << 30, MailboxMaxMsgs: 1 << 40, MailboxMaxBytes: 1 << 50,
		AuthRatePerAddr: 1e9, AuthBurstPerAddr: 1 << 30, MaxConnsPerAddr: 1 << 20}
}

// benchUser creates u's account directly in the store (no Argon2id: the
// benchmarks connect with Resume) and connects as u.
func benchUser(b *testing.B, r *testRelay, name string) (*user, *client) {
	u := newUser(b, name, 0)
	err := r.srv.store.CreateAccount(store.Account{Username: u.name, PasswordHash: []byte("unused"),
		IdentityKey: u.idKey(), SignedPrekey: u.spk, CreatedAt: time.Now()}, nil)
	if err != nil {
		b.Fatal(err)
	}
	c := dialBuffered(b, r)
	mustWelcome(b, c.resume(u))
	return u, c
}

// dialBuffered is dial with the client's writes buffered like the relay's
// (a pipelining daemon coalesces its frames too); call flush before
// waiting for an answer.
func dialBuffered(b *testing.B, r *testRelay) *client {
	conn, st := dialQUIC(b, r.addr)
	binding, err := hop.Binding(conn.ConnectionState().TLS)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bs := hop.NewStream(st)
	hc, err := hop.Client(ctx, bs, binding, r.srv.PublicKey())
	if err != nil {
		b.Fatal(err)
	}
	bs.Buffer()
	c := &client{t: b, conn: conn, stream: st, hc: hc, bs: bs, frames: make(chan *wire.Frame, 4096), rerr: make(chan error, 1)}
	go c.readLoop()
	return c
}

// benchPair is one sender and one receiver connected to the relay.
type benchPair struct {
	to     *user
	sender *client
	recv   *client
}

func newBenchPairs(b *testing.B, r *testRelay, n int) []benchPair {
	pairs := make([]benchPair, n)
	for i := range pairs {
		p := &pairs[i]
		p.to, p.recv = benchUser(b, r, fmt.Sprintf("bob%d", i))
		_, p.sender = benchUser(b, r, fmt.Sprintf("alice%d", i))
	}
	return pairs
}

// ackAll reads n Delivers on c and acks each (the receiving daemon).
func ackAll(b *testing.B, c *client, n int) {
	for got := 0; got < n; {
		var f *wire.Frame
		select {
		case f = <-c.frames:
		default:
			c.flush()
			f = <-c.frames
		}
		if f == nil {
			b.Errorf("receiver closed after %d of %d", got, n)
			return
		}
		if f.Deliver != nil {
			got++
			if err := c.hc.WriteFrame(&wire.Frame{Ack: &wire.Ack{ID: f.Deliver.ID}}); err != nil {
				b.Errorf("ack: %v", err)
				return
			}
		}
	}
	c.flush()
}

// sendAll sends n 200-byte envelopes to "to", keeping up to window Sends
// unanswered, and waits for every Accepted.
func sendAll(b *testing.B, c *client, to *user, n, window int) {
	body := make([]byte, 200)
	key := to.idKey()
	inflight := 0
	for i := 0; i < n; i++ {
		if inflight == window {
			if len(c.frames) == 0 {
				c.flush()
			}
			if f := c.next(); f.Accepted == nil {
				b.Errorf("got %v %v", f.Type(), errCode(f))
				return
			}
			inflight--
		}
		c.write(&wire.Frame{Send: &wire.Send{ID: newMsgID(), To: to.name, Body: body, IdentityKey: key}})
		inflight++
	}
	c.flush()
	for ; inflight > 0; inflight-- {
		if f := c.next(); f.Accepted == nil {
			b.Errorf("got %v %v", f.Type(), errCode(f))
			return
		}
	}
}

// runOnline sends b.N envelopes spread over the pairs, each sender keeping
// window Sends in flight, each receiver acking what it gets.
func runOnline(b *testing.B, pairs []benchPair, window int) {
	var wg sync.WaitGroup
	b.SetBytes(200)
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime()
	for i, p := range pairs {
		n := b.N / len(pairs)
		if i < b.N%len(pairs) {
			n++
		}
		wg.Add(2)
		go func() { defer wg.Done(); ackAll(b, p.recv, n) }()
		go func() { defer wg.Done(); sendAll(b, p.sender, p.to, n, window) }()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msg/s")
	reportCPU(b, cpu, b.N)
}

// cpuTime is the process's user+system CPU time: relay and test clients
// together. CPU per message is steadier than msg/s on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, since time.Duration, n int) {
	b.ReportMetric(float64((cpuTime()-since).Microseconds())/float64(n), "cpu-µs/msg")
}

// BenchmarkRelayOnline1Pair: one sender and one connected receiver over real
// QUIC with the hop layer; 200-byte bodies; the receiver acks everything.
// The sender keeps 1024 Sends unanswered (pipelined; the relay's send
// window is sendTokens).
func BenchmarkRelayOnline1Pair(b *testing.B) {
	r := startRelay(b, benchConfig())
	runOnline(b, newBenchPairs(b, r, 1), 1024)
	reportCommits(b, r)
}

// BenchmarkRelayOnline1PairPingPong: as above but one Send at a time: the
// round trip Send -> Deliver -> Ack -> Accepted (latency, not throughput).
func BenchmarkRelayOnline1PairPingPong(b *testing.B) {
	r := startRelay(b, benchConfig())
	runOnline(b, newBenchPairs(b, r, 1), 1)
	reportCommits(b, r)
}

// BenchmarkRelayOnline100Pairs: 100 sender -> receiver pairs at once, each
// sender keeping 32 Sends unanswered.
func BenchmarkRelayOnline100Pairs(b *testing.B) {
	r := startRelay(b, benchConfig())
	runOnline(b, newBenchPairs(b, r, 100), 32)
	reportCommits(b, r)
}

// BenchmarkMailboxFillDrain: the receiver is offline while b.N envelopes
// are sent (each Accepted after its group commit), then it connects and
// drains them, acking each. fill-msg/s and drain-msg/s are reported apart.
func BenchmarkMailboxFillDrain(b *testing.B) {
	r := startRelay(b, benchConfig())
	p := newBenchPairs(b, r, 1)[0]
	p.recv.conn.CloseWithError(0, "")
	b.SetBytes(200)
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime()
	sendAll(b, p.sender, p.to, b.N, sendTokens)
	filled, fillCPU := time.Now(), cpuTime()
	recv := dialBuffered(b, r)
	mustWelcome(b, recv.resume(p.to))
	ackAll(b, recv, b.N)
	recv.sync() // every Ack has been read by the relay
	b.StopTimer()
	b.ReportMetric(float64(b.N)/filled.Sub(start).Seconds(), "fill-msg/s")
	b.ReportMetric(float64(b.N)/time.Since(filled).Seconds(), "drain-msg/s")
	b.ReportMetric(float64((fillCPU-cpu).Microseconds())/float64(b.N), "fill-cpu-µs/msg")
	b.ReportMetric(float64((cpuTime()-fillCPU).Microseconds())/float64(b.N), "drain-cpu-µs/msg")
	reportCommits(b, r)
}

// reportCommits reports group commits (fsyncs) per message.
func reportCommits(b *testing.B, r *testRelay) {
	b.ReportMetric(float64(histogramCount(r.m.StoreCommitLatency))/float64(b.N), "commits/op")
}

func histogramCount(h prometheus.Histogram) uint64 {
	var m dto.Metric
	if err := h.Write(&m); err != nil {
		panic(err)
	}
	return m.Histogram.GetSampleCount()
}
