package relay

import (
	"flag"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/securep2p/securep2p/relay/relaytest/hopclient"
	"github.com/securep2p/securep2p/relay/store"
	"github.com/securep2p/securep2p/wire"
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
	u := hopclient.NewUser(b, name, 0)
	err := r.srv.store.CreateAccount(store.Account{Username: u.Name, PasswordHash: []byte("unused"),
		IdentityKey: u.IDKey(), SignedPrekey: u.SPK, CreatedAt: time.Now()}, nil)
	if err != nil {
		b.Fatal(err)
	}
	c := dialBuffered(b, r)
	hopclient.MustWelcome(b, c.Resume(u))
	return u, c
}

// dialBuffered is dial with the client's writes buffered like the relay's
// (a pipelining daemon coalesces its frames too), offering protocol
// version -relay.version; call flush before waiting for an answer.
func dialBuffered(b *testing.B, r *testRelay) *client {
	return hopclient.DialBufferedVersion(b, r.addr, r.srv.PublicKey(), *benchVersion)
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

// Benchmark knobs, to measure what version 2's batches save: the
// receiving client acks one id per Ack frame with -relay.singleack, and
// every client speaks protocol version -relay.version (1: one Ack and one
// Accepted per id, the old protocol).
var (
	benchSingleAck = flag.Bool("relay.singleack", false, "benchmarks: ack one id per Ack frame")
	benchVersion   = flag.Uint64("relay.version", wire.ProtocolVersion, "benchmarks: protocol version the clients offer")
)

// ackAll reads n Delivers on c and acks them like the daemon: the ids of
// every Deliver already read go in one Ack (up to wire.MaxBatchIDs; on
// version 1 or with -relay.singleack one Ack per id), written when no
// further frame is at hand, and the buffered writes are flushed then.
func ackAll(b *testing.B, c *client, n int) {
	batch := wire.MaxBatchIDs
	if *benchSingleAck || c.Hop.Version() < 2 {
		batch = 1
	}
	ids := make([][]byte, 0, batch)
	for got := 0; got < n; {
		var f *wire.Frame
		select {
		case f = <-c.Frames:
		default:
			if ids = writeAck(b, c, ids); ids == nil {
				return
			}
			c.Flush()
			f = <-c.Frames
		}
		if f == nil {
			b.Errorf("receiver closed after %d of %d", got, n)
			return
		}
		if f.Deliver != nil {
			got++
			if ids = append(ids, f.Deliver.ID); len(ids) == batch {
				if ids = writeAck(b, c, ids); ids == nil {
					return
				}
			}
		}
	}
	writeAck(b, c, ids)
	c.Flush()
}

// writeAck writes one Ack of ids, if any, and returns ids emptied for
// reuse, nil when the write failed.
func writeAck(b *testing.B, c *client, ids [][]byte) [][]byte {
	if len(ids) == 0 {
		return ids
	}
	a := &wire.Ack{ID: ids[0]}
	if len(ids) > 1 {
		a.More = ids[1:]
	}
	if err := c.Hop.WriteFrame(&wire.Frame{Ack: a}); err != nil {
		b.Errorf("ack: %v", err)
		return nil
	}
	clear(ids)
	return ids[:0]
}

// sendAll sends n 200-byte envelopes to "to", keeping up to window Sends
// unanswered, and waits until every id was accepted (one Accepted frame
// may accept many on version 2).
func sendAll(b *testing.B, c *client, to *user, n, window int) {
	body := make([]byte, 200)
	key := to.IDKey()
	inflight := 0
	for i := 0; i < n; i++ {
		for inflight >= window {
			if len(c.Frames) == 0 {
				c.Flush()
			}
			k := acceptedCount(b, c.Next())
			if k == 0 {
				return
			}
			inflight -= k
		}
		c.Write(&wire.Frame{Send: &wire.Send{ID: hopclient.NewMsgID(), To: to.Name, Body: body, IdentityKey: key}})
		inflight++
	}
	c.Flush()
	for inflight > 0 {
		k := acceptedCount(b, c.Next())
		if k == 0 {
			return
		}
		inflight -= k
	}
}

// acceptedCount returns how many ids f accepts, failing the benchmark
// (and returning 0) when f is not an Accepted.
func acceptedCount(b *testing.B, f *wire.Frame) int {
	if f.Accepted == nil {
		b.Errorf("got %v %v", f.Type(), hopclient.ErrCode(f))
		return 0
	}
	return 1 + len(f.Accepted.More)
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

// BenchmarkRelayOnline100PairsPingPong: 100 pairs, each sender keeping one
// Send unanswered (the p2pd bench ping-pong regime: many connections, few
// frames per wake-up, small group-commit rounds).
func BenchmarkRelayOnline100PairsPingPong(b *testing.B) {
	r := startRelay(b, benchConfig())
	runOnline(b, newBenchPairs(b, r, 100), 1)
	reportCommits(b, r)
}

// BenchmarkMailboxFillDrain: the receiver is offline while b.N envelopes
// are sent (each Accepted after its group commit), then it connects and
// drains them, acking each. fill-msg/s and drain-msg/s are reported apart.
func BenchmarkMailboxFillDrain(b *testing.B) {
	r := startRelay(b, benchConfig())
	p := newBenchPairs(b, r, 1)[0]
	p.recv.Conn.CloseWithError(0, "")
	b.SetBytes(200)
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime()
	sendAll(b, p.sender, p.to, b.N, sendTokens)
	filled, fillCPU := time.Now(), cpuTime()
	recv := dialBuffered(b, r)
	hopclient.MustWelcome(b, recv.Resume(p.to))
	ackAll(b, recv, b.N)
	recv.Sync() // every Ack has been read by the relay
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
