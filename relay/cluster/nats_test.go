package cluster

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/prometheus/client_golang/prometheus"
)

// natsCluster is an embedded NATS cluster with JetStream: real servers on
// 127.0.0.1 random ports, file storage in temporary directories.
type natsCluster struct {
	t       testing.TB
	servers []*server.Server
	urls    []string
}

func startNATS(t testing.TB, size int) *natsCluster {
	t.Helper()
	c := &natsCluster{t: t}
	ports, routes := freePorts(t, size), []*url.URL{}
	for _, p := range ports {
		routes = append(routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", p)})
	}
	for i := range size {
		opts := &server.Options{ServerName: fmt.Sprintf("n%d", i+1), Host: "127.0.0.1", Port: -1,
			JetStream: true, StoreDir: t.TempDir(), JetStreamMaxMemory: 64 << 20, JetStreamMaxStore: 1 << 30,
			NoSigs: true, NoLog: os.Getenv("NATSLOG") == ""}
		if size > 1 {
			opts.Cluster = server.ClusterOpts{Name: "p2p", Host: "127.0.0.1", Port: ports[i]}
			opts.Routes = routes
		}
		s, err := server.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		if os.Getenv("NATSLOG") != "" {
			s.ConfigureLogger()
		}
		s.Start()
		if !s.ReadyForConnections(10 * time.Second) {
			t.Fatal("nats server not ready")
		}
		c.servers = append(c.servers, s)
		c.urls = append(c.urls, s.ClientURL())
	}
	t.Cleanup(c.shutdown)
	return c
}

// freePorts finds n free TCP ports on 127.0.0.1 (JetStream clustering needs
// the route addresses configured before the servers start).
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

func (c *natsCluster) shutdown() {
	for _, s := range c.servers {
		s.Shutdown()
		s.WaitForShutdown()
	}
}

// kill stops server i abruptly (its JetStream state stays on disk).
func (c *natsCluster) kill(i int) {
	c.servers[i].Shutdown()
	c.servers[i].WaitForShutdown()
}

// open connects a node, retrying while JetStream elects its leaders.
func (c *natsCluster) open(t testing.TB, cfg Config) *Node {
	t.Helper()
	if cfg.URLs == nil {
		cfg.URLs = c.urls
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = len(c.servers)
	}
	if cfg.Registerer == nil {
		cfg.Registerer = prometheus.NewRegistry()
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		n, err := Open(ctx, cfg)
		cancel()
		if err == nil {
			t.Cleanup(func() { n.Close() })
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster.Open: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// shared is one three-server cluster for the tests that do not kill a NATS
// server; every test uses its own usernames.
var shared struct {
	once sync.Once
	c    *natsCluster
	stop func()
}

// sharedTB outlives the test that starts the shared cluster: its temporary
// directories and cleanups run from TestMain.
type sharedTB struct {
	testing.TB
	fns []func()
}

func (s *sharedTB) TempDir() string {
	d, err := os.MkdirTemp("", "cluster-test-")
	if err != nil {
		s.Fatal(err)
	}
	s.fns = append(s.fns, func() { os.RemoveAll(d) })
	return d
}

func (s *sharedTB) Cleanup(f func()) { s.fns = append(s.fns, f) }

func (s *sharedTB) run() {
	for i := len(s.fns) - 1; i >= 0; i-- {
		s.fns[i]()
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.stop != nil {
		shared.stop()
	}
	os.Exit(code)
}

func sharedNATS(t testing.TB) *natsCluster {
	t.Helper()
	shared.once.Do(func() {
		tb := &sharedTB{TB: t}
		shared.c = startNATS(tb, 3)
		shared.stop = tb.run
	})
	if shared.c == nil {
		t.Fatal("shared NATS cluster failed to start")
	}
	return shared.c
}
