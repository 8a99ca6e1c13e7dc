package cluster

import (
	"context"
	"net"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/securep2p/securep2p/metrics"
	"github.com/securep2p/securep2p/relay"
	"github.com/securep2p/securep2p/relay/relaytest/hopclient"
	"github.com/securep2p/securep2p/wire/secp"
)

// relayNode is one in-process relay on a cluster Node (or, with node nil,
// on its own bbolt store).
type relayNode struct {
	t      testing.TB
	srv    *relay.Server
	node   *Node
	addr   string
	cancel context.CancelFunc
	done   chan error
}

// startRelayNode runs relay.New on 127.0.0.1:0 with the node's store and
// router (node nil: the embedded defaults). Every node gets key.
func startRelayNode(t testing.TB, node *Node, key *secp.PrivateKey) *relayNode {
	t.Helper()
	cfg := relay.Config{StateDir: t.TempDir(), Key: key, Metrics: metrics.NewRelay(prometheus.NewRegistry()),
		SendRate: 1e9, SendBurst: 1 << 30, FetchRate: 1e6, FetchBurst: 1 << 20, AuthRatePerAddr: 1e6, AuthBurstPerAddr: 1 << 20}
	if node != nil {
		cfg.Store, cfg.Router = node, node.Router()
	}
	srv, err := relay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &relayNode{t: t, srv: srv, node: node, addr: pc.LocalAddr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- srv.Serve(ctx, pc); pc.Close() }()
	t.Cleanup(r.stop)
	return r
}

func (r *relayNode) stop() {
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

func newRelayKey(t testing.TB) *secp.PrivateKey {
	t.Helper()
	k, err := secp.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// The test daemon (QUIC dial, hop handshake, reader goroutine, request
// helpers) lives in relay/relaytest/hopclient, shared with the relay's tests.
type (
	client = hopclient.Client
	user   = hopclient.User
)
