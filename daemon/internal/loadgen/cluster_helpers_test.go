package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/securep2p/securep2p/relay"
	"github.com/securep2p/securep2p/relay/cluster"
	"github.com/securep2p/securep2p/relay/relaytest"
	"github.com/securep2p/securep2p/wire/secp"
)

// Test-only: the p2pd binary never links NATS (these files are _test.go).

// openRelayLimits are the relay limits opened up for many users from one
// address (every simulated user comes from 127.0.0.1).
func openRelayLimits(cfg relay.Config) relay.Config {
	cfg.MaxConnsPerAddr, cfg.AuthRatePerAddr, cfg.AuthBurstPerAddr = 1000, 1e6, 1e6
	return cfg
}

// startNATSCluster runs size embedded NATS servers with JetStream, clustered
// on 127.0.0.1 random ports, state in temporary directories, and returns
// their client URLs.
func startNATSCluster(tb testing.TB, size int) []string {
	tb.Helper()
	ports := freeTCPPorts(tb, size)
	var routes []*url.URL
	for _, p := range ports {
		routes = append(routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", p)})
	}
	var urls []string
	for i := range size {
		s, err := server.NewServer(&server.Options{ServerName: fmt.Sprintf("n%d", i+1), Host: "127.0.0.1", Port: -1,
			JetStream: true, StoreDir: tb.TempDir(), JetStreamMaxMemory: 64 << 20, JetStreamMaxStore: 1 << 30,
			NoSigs: true, NoLog: true,
			Cluster: server.ClusterOpts{Name: "loadgen", Host: "127.0.0.1", Port: ports[i]}, Routes: routes})
		if err != nil {
			tb.Fatal(err)
		}
		s.Start()
		tb.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
		if !s.ReadyForConnections(10 * time.Second) {
			tb.Fatal("nats server not ready")
		}
		urls = append(urls, s.ClientURL())
	}
	return urls
}

// freeTCPPorts finds n free TCP ports on 127.0.0.1 (the cluster routes must
// be known before the servers start).
func freeTCPPorts(tb testing.TB, n int) []int {
	tb.Helper()
	var ports []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		_ = ln.Close()
	}
	return ports
}

// openClusterNode connects one relay node's store to NATS (replicas 3),
// retrying while JetStream elects its leaders; it closes with the test.
func openClusterNode(tb testing.TB, urls []string, reg prometheus.Registerer) *cluster.Node {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		n, err := cluster.Open(ctx, cluster.Config{URLs: urls, Replicas: 3, Registerer: reg})
		cancel()
		if err == nil {
			tb.Cleanup(func() { _ = n.Close() })
			return n
		}
		if time.Now().After(deadline) {
			tb.Fatalf("cluster.Open: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// relayCluster is three relay nodes on one NATS cluster, sharing one key.
type relayCluster struct {
	addrs []string
	key   string // hex public key
	regs  []*prometheus.Registry
}

// startRelayCluster starts a three-server NATS cluster and n relay nodes,
// node i connected first to NATS server i mod 3.
func startRelayCluster(tb testing.TB, n int) *relayCluster {
	tb.Helper()
	urls := startNATSCluster(tb, 3)
	key, err := secp.GeneratePrivateKey()
	if err != nil {
		tb.Fatal(err)
	}
	rc := &relayCluster{key: key.Public().String()}
	for i := range n {
		reg := prometheus.NewRegistry()
		own := append(append([]string{}, urls[i%3:]...), urls[:i%3]...)
		node := openClusterNode(tb, own, reg) // closed after the relay (cleanups run last-in first-out)
		r := relaytest.Start(tb, openRelayLimits(relay.Config{Key: key, Store: node, Router: node.Router()}))
		rc.addrs, rc.regs = append(rc.addrs, r.Addr), append(rc.regs, reg)
	}
	return rc
}

// natsCounts are the cluster metrics summed over every node: requests
// (round trips, all operations) and envelope publishes with their
// acknowledgement time.
type natsCounts struct {
	requests map[string]uint64 // by operation
	pubs     uint64
	pubAckS  float64 // sum of publish-ack seconds
}

func (rc *relayCluster) counts(tb testing.TB) natsCounts {
	tb.Helper()
	c := natsCounts{requests: map[string]uint64{}}
	for _, reg := range rc.regs {
		fams, err := reg.Gather()
		if err != nil {
			tb.Fatal(err)
		}
		for _, f := range fams {
			for _, m := range f.GetMetric() {
				h := m.GetHistogram()
				switch f.GetName() {
				case "securep2p_relay_cluster_nats_roundtrip_seconds":
					for _, l := range m.GetLabel() {
						if l.GetName() == "op" {
							c.requests[l.GetValue()] += h.GetSampleCount()
						}
					}
				case "securep2p_relay_cluster_publish_ack_seconds":
					c.pubs += h.GetSampleCount()
					c.pubAckS += h.GetSampleSum()
				}
			}
		}
	}
	return c
}

// sub is c minus an earlier snapshot.
func (c natsCounts) sub(old natsCounts) natsCounts {
	d := natsCounts{requests: map[string]uint64{}, pubs: c.pubs - old.pubs, pubAckS: c.pubAckS - old.pubAckS}
	for op, v := range c.requests {
		d.requests[op] = v - old.requests[op]
	}
	return d
}

func (c natsCounts) total() uint64 {
	var n uint64
	for _, v := range c.requests {
		n += v
	}
	return n
}

// phaseWriter collects Main's stderr and calls onMeasure once, when the
// load generator announces its measured phase.
type phaseWriter struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	once      sync.Once
	onMeasure func()
}

func (w *phaseWriter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "; measuring") {
		w.once.Do(w.onMeasure)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *phaseWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// envInt is a positive integer from the environment, else def.
func envInt(name string, def int) int {
	var v int
	if _, err := fmt.Sscan(os.Getenv(name), &v); err != nil || v <= 0 {
		return def
	}
	return v
}

// envString is an environment variable, else def.
func envString(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
