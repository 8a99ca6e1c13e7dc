package relay

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/quic-go/quic-go"

	"github.com/securep2p/securep2p/metrics"
	"github.com/securep2p/securep2p/relay/relaytest/hopclient"
	"github.com/securep2p/securep2p/wire"
)

// fakeClock is an injectable clock for TTL tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type testRelay struct {
	t      testing.TB
	srv    *Server
	addr   string
	reg    *prometheus.Registry
	m      *metrics.Relay
	cancel context.CancelFunc
	done   chan error
}

// startRelay runs a relay on 127.0.0.1:0. cfg.StateDir defaults to a
// temporary directory.
func startRelay(t testing.TB, cfg Config) *testRelay {
	t.Helper()
	if cfg.StateDir == "" {
		cfg.StateDir = t.TempDir()
	}
	r := &testRelay{t: t, reg: prometheus.NewRegistry()}
	r.m = metrics.NewRelay(r.reg)
	cfg.Metrics = r.m
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.srv, r.cancel, r.done, r.addr = srv, cancel, make(chan error, 1), pc.LocalAddr().String()
	go func() { r.done <- srv.Serve(ctx, pc); pc.Close() }()
	t.Cleanup(r.stop)
	return r
}

func (r *testRelay) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	if err := <-r.done; err != nil {
		r.t.Errorf("Serve: %v", err)
	}
	r.srv.Close()
	r.cancel = nil
}

// The test daemon (QUIC dial, hop handshake, reader goroutine, request
// helpers) lives in relaytest/hopclient, shared with relay/cluster.
type (
	client = hopclient.Client
	user   = hopclient.User
)

func dial(t testing.TB, r *testRelay) *client {
	t.Helper()
	return hopclient.Dial(t, r.addr, r.srv.PublicKey())
}

// connectAs dials and resumes (or registers when new) u.
func connectAs(t testing.TB, r *testRelay, u *user, register bool) *client {
	t.Helper()
	return hopclient.Connect(t, r.addr, r.srv.PublicKey(), u, register)
}

// closeCode returns the QUIC application error code the relay closed with.
func closeCode(t testing.TB, conn *quic.Conn) wire.Code {
	t.Helper()
	select {
	case <-conn.Context().Done():
	case <-time.After(10 * time.Second):
		t.Fatal("connection still open")
	}
	var ae *quic.ApplicationError
	if errors.As(context.Cause(conn.Context()), &ae) {
		return wire.Code(ae.ErrorCode)
	}
	return 0
}

// value reads a counter or gauge.
func value(c prometheus.Metric) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}
