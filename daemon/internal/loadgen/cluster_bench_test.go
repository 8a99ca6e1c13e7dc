package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/securep2p/securep2p/relay"
	"github.com/securep2p/securep2p/relay/relaytest"
)

// pingPongRun is one Main ping-pong run and, on a cluster, the NATS
// requests its relay nodes made in the measured phase (teardown included).
type pingPongRun struct {
	res  map[string]any
	nats natsCounts
}

// runPingPong runs `p2pd bench --pairs P --rounds R --size 200` against
// addrs (rc nil: not a cluster) and fails the test unless it exits cleanly.
func runPingPong(tb testing.TB, addrs []string, key string, rc *relayCluster, pairs, rounds int, timeout string) pingPongRun {
	tb.Helper()
	list := addrs[0]
	for _, a := range addrs[1:] {
		list += "," + a
	}
	var before natsCounts
	stderr := &phaseWriter{onMeasure: func() {
		if rc != nil {
			before = rc.counts(tb)
		}
	}}
	var out bytes.Buffer
	code := Main(context.Background(), []string{"--pairs", strconv.Itoa(pairs), "--rounds", strconv.Itoa(rounds),
		"--size", "200", "--relay", list, "--relay-key", key, "--timeout", timeout,
		"--op-timeout", envString("LOADGEN_OP_TIMEOUT", "10s")}, &out, stderr)
	var run pingPongRun
	if err := json.Unmarshal(out.Bytes(), &run.res); err != nil {
		tb.Fatalf("exit %d, stdout is not a JSON object: %v\nstderr:\n%s", code, err, stderr)
	}
	if code != ExitOK {
		tb.Fatalf("exit %d, result %s\nstderr:\n%s", code, out.String(), stderr)
	}
	if rc != nil {
		run.nats = rc.counts(tb).sub(before)
	}
	return run
}

// BenchmarkClusterPingPong is the ping-pong of `p2pd bench` (both users of
// each pair ping, 200-byte texts) against one relay on its bbolt store
// ("single") and against three relay nodes on a three-server NATS
// cluster with JetStream, replicas 3 ("three-nodes"), the two users of
// every pair on different nodes. Everything runs in this process, so
// cpu-us/msg is the CPU of the load generator, the relays and (for
// three-nodes) the NATS servers together, per message. Defaults: 20 pairs,
// 20 rounds; LOADGEN_PAIRS, LOADGEN_ROUNDS, LOADGEN_TIMEOUT (a Go
// duration, default 3m) and LOADGEN_OP_TIMEOUT (default 10s) change them: the run is
// LOADGEN_PAIRS=200 LOADGEN_ROUNDS=50.
func BenchmarkClusterPingPong(b *testing.B) {
	pairs, rounds := envInt("LOADGEN_PAIRS", 20), envInt("LOADGEN_ROUNDS", 20)
	timeout := envString("LOADGEN_TIMEOUT", "3m")
	b.Run("single", func(b *testing.B) {
		r := relaytest.Start(b, openRelayLimits(relay.Config{}))
		benchPingPong(b, []string{r.Addr}, r.Key.String(), nil, pairs, rounds, timeout)
	})
	b.Run("three-nodes", func(b *testing.B) {
		rc := startRelayCluster(b, 3)
		benchPingPong(b, rc.addrs, rc.key, rc, pairs, rounds, timeout)
	})
}

func benchPingPong(b *testing.B, addrs []string, key string, rc *relayCluster, pairs, rounds int, timeout string) {
	var runs []pingPongRun
	for b.Loop() {
		runs = append(runs, runPingPong(b, addrs, key, rc, pairs, rounds, timeout))
	}
	var msgs, secs, cpu float64
	var p50, p99 []float64
	var nats natsCounts
	nats.requests = map[string]uint64{}
	for _, r := range runs {
		msgs += number(b, r.res, "msgs")
		secs += number(b, r.res, "duration_s")
		cpu += number(b, r.res, "client_cpu_s")
		p50 = append(p50, number(b, r.res, "rtt_p50_ms"))
		p99 = append(p99, number(b, r.res, "rtt_p99_ms"))
		nats.pubs += r.nats.pubs
		nats.pubAckS += r.nats.pubAckS
		for op, v := range r.nats.requests {
			nats.requests[op] += v
		}
		line, _ := json.Marshal(r.res)
		b.Logf("result: %s", line)
	}
	b.ReportMetric(msgs/secs, "msgs/s")
	b.ReportMetric(median(p50), "rtt-p50-ms")
	b.ReportMetric(median(p99), "rtt-p99-ms")
	b.ReportMetric(cpu/msgs*1e6, "cpu-us/msg")
	if rc != nil {
		b.ReportMetric(float64(nats.total())/msgs, "nats-req/msg")
		b.ReportMetric(float64(nats.pubs)/msgs, "js-pub/msg")
		if nats.pubs > 0 {
			b.ReportMetric(nats.pubAckS/float64(nats.pubs)*1e3, "pub-ack-ms")
		}
		b.Logf("NATS requests in the measured phases, by operation: %v; publishes %d; messages %.0f",
			nats.requests, nats.pubs, msgs)
	}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestClusterBenchSmoke: a small ping-pong over three relay nodes on a
// NATS cluster completes with every message, no error and no timeout, the
// two users of each pair on different nodes.
func TestClusterBenchSmoke(t *testing.T) {
	rc := startRelayCluster(t, 3)
	run := runPingPong(t, rc.addrs, rc.key, rc, 2, 3, "60s")
	// 2 pairs x 2 senders x 3 rounds, a ping and an echo each.
	if got := number(t, run.res, "msgs"); got != 24 {
		t.Errorf("msgs = %v, want 24", got)
	}
	if number(t, run.res, "errors") != 0 || number(t, run.res, "timeouts") != 0 {
		t.Errorf("errors/timeouts in %v", run.res)
	}
	if number(t, run.res, "relay_nodes") != 3 {
		t.Errorf("relay_nodes = %v, want 3", run.res["relay_nodes"])
	}
	// Pair 0 on nodes 0 and 1, pair 1 on nodes 1 and 2.
	if got := fmt.Sprint(run.res["conns_per_node"]); got != "[1 2 1]" {
		t.Errorf("conns_per_node = %s, want [1 2 1]", got)
	}
	if run.nats.total() == 0 {
		t.Errorf("the relay nodes made no NATS request while measuring")
	}
}
