package quicfloor

import (
	"context"
	"runtime/debug"
	"slices"
	"testing"
	"time"
)

// The shape of `p2pd bench --pairs 200 --rounds 50 --size 200`, and the
// 1-pair latency floor.
const (
	benchPairs   = 200
	benchRounds  = 50
	floorRounds  = 4000
	longRounds   = 250 // 5x the rounds: is the round-trip tail a start-up transient?
	benchSize    = 200
	benchTimeout = 3 * time.Minute // a hang fails the benchmark
	benchGC      = 400             // p2pd bench's --gc-percent default, for this (client) process
)

func BenchmarkForwardFloor200Pairs(b *testing.B) {
	benchFloor(b, benchPairs, benchRounds, mode{})
}

func BenchmarkForwardFloor200PairsSealed(b *testing.B) {
	benchFloor(b, benchPairs, benchRounds, mode{sealed: true})
}

// BenchmarkForwardFloor200PairsWriter hands every message to a writer
// goroutine per connection, as the relay's session writer does.
func BenchmarkForwardFloor200PairsWriter(b *testing.B) {
	benchFloor(b, benchPairs, benchRounds, mode{writer: true})
}

func BenchmarkForwardFloor200PairsSealedWriter(b *testing.B) {
	benchFloor(b, benchPairs, benchRounds, mode{sealed: true, writer: true})
}

// BenchmarkForwardFloor200PairsLong is BenchmarkForwardFloor200Pairs with
// five times the rounds, so the first round's burst (every pair sending at
// once) weighs a fifth as much in the percentiles.
func BenchmarkForwardFloor200PairsLong(b *testing.B) {
	benchFloor(b, benchPairs, longRounds, mode{})
}

// BenchmarkForwardFloor200PairsAcked adds the relay protocol's Ack and
// Accepted frames: four frames per message instead of two.
func BenchmarkForwardFloor200PairsAcked(b *testing.B) {
	benchFloor(b, benchPairs, benchRounds, mode{acks: true})
}

func BenchmarkForwardFloor200PairsSealedWriterAcked(b *testing.B) {
	benchFloor(b, benchPairs, benchRounds, mode{sealed: true, writer: true, acks: true})
}

func BenchmarkForwardFloor1Pair(b *testing.B) {
	benchFloor(b, 1, floorRounds, mode{})
}

func BenchmarkForwardFloor1PairSealed(b *testing.B) {
	benchFloor(b, 1, floorRounds, mode{sealed: true})
}

// benchFloor starts the forwarder child, dials 2*pairs clients and runs
// one ping-pong of rounds per pair per iteration; the metrics cover every
// iteration.
func benchFloor(b *testing.B, pairs, rounds int, m mode) {
	defer debug.SetGCPercent(debug.SetGCPercent(benchGC))
	ctx, cancel := context.WithTimeout(context.Background(), benchTimeout)
	defer cancel()
	ch, err := startChild(m)
	if err != nil {
		b.Fatal(err)
	}
	defer ch.stop()
	cs, err := dialAll(ctx, ch.addr, 2*pairs, m)
	if err != nil {
		b.Fatal(err)
	}
	defer closeAll(cs)
	if _, err := runPingPong(ctx, cs, 1, benchSize); err != nil { // warm-up round
		b.Fatal(err)
	}
	var total runResult
	cpu0, err := bothCPU(ch)
	if err != nil {
		b.Fatal(err)
	}
	pk0, drops0 := clientPackets(cs), udpRcvbufErrors()
	for b.Loop() {
		r, err := runPingPong(ctx, cs, rounds, benchSize)
		if err != nil {
			b.Fatal(err)
		}
		total.add(r)
	}
	cpu1, err := bothCPU(ch)
	if err != nil {
		b.Fatal(err)
	}
	report(b, total, cpu1.sub(cpu0))
	reportPackets(b, total.msgs, clientPackets(cs).sub(pk0), udpRcvbufErrors()-drops0)
}

// cpuPair is the CPU time of this (client) process and of the forwarder,
// and the system (kernel) part of both.
type cpuPair struct{ parent, child, sys time.Duration }

func bothCPU(ch *child) (cpuPair, error) {
	u, s := selfCPU()
	cu, cs, err := ch.cpu()
	return cpuPair{parent: u + s, child: cu + cs, sys: s + cs}, err
}

func (p cpuPair) sub(q cpuPair) cpuPair {
	return cpuPair{parent: p.parent - q.parent, child: p.child - q.child, sys: p.sys - q.sys}
}

func (r *runResult) add(s runResult) {
	r.elapsed += s.elapsed
	r.msgs += s.msgs
	r.rtts = append(r.rtts, s.rtts...)
}

// report prints msg/s, round-trip percentiles and CPU per message.
func report(b *testing.B, r runResult, cpu cpuPair) {
	slices.Sort(r.rtts)
	ms := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
	msgs := float64(r.msgs)
	b.ReportMetric(msgs/r.elapsed.Seconds(), "msg/s")
	b.ReportMetric(ms(mean(r.rtts)), "rtt-mean-ms")
	b.ReportMetric(ms(percentile(r.rtts, 0.50)), "rtt-p50-ms")
	b.ReportMetric(ms(percentile(r.rtts, 0.90)), "rtt-p90-ms")
	b.ReportMetric(ms(percentile(r.rtts, 0.99)), "rtt-p99-ms")
	b.ReportMetric(ms(r.rtts[len(r.rtts)-1]), "rtt-max-ms")
	b.ReportMetric(float64((cpu.parent+cpu.child).Microseconds())/msgs, "cpu-µs/msg")
	b.ReportMetric(cpu.parent.Seconds(), "parent-cpu-s")
	b.ReportMetric(cpu.child.Seconds(), "child-cpu-s")
	b.ReportMetric(cpu.sys.Seconds()/(cpu.parent+cpu.child).Seconds(), "sys-share")
	b.ReportMetric(r.elapsed.Seconds(), "wall-s")
	b.ReportMetric((cpu.parent+cpu.child).Seconds()/r.elapsed.Seconds(), "cores-used")
}

// reportPackets prints the clients' QUIC packets per message, the packets
// they declared lost and the machine's UDP receive-buffer drops.
func reportPackets(b *testing.B, msgs int, p packets, drops uint64) {
	b.ReportMetric(float64(p.sent+p.recv)/float64(msgs), "client-pkts/msg")
	b.ReportMetric(float64(p.lost), "client-lost-pkts")
	b.ReportMetric(float64(drops), "udp-rcvbuf-drops")
}

func mean(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(max(1, len(ds)))
}
