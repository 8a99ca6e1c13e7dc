package engine

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/relay"
	"github.com/securep2p/securep2p/relay/cluster"
	"github.com/securep2p/securep2p/wire/secp"
)

// startJetStream runs one embedded NATS server with JetStream on a random
// 127.0.0.1 port (enough for two relay nodes to share accounts and
// mailboxes; replication is relay/cluster's concern, not the daemon's).
func startJetStream(t *testing.T) string {
	t.Helper()
	s, err := server.NewServer(&server.Options{ServerName: "n1", Host: "127.0.0.1", Port: -1,
		JetStream: true, StoreDir: t.TempDir(), JetStreamMaxMemory: 64 << 20, JetStreamMaxStore: 1 << 30,
		NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s.ClientURL()
}

// clusterRelay is one relay node on the shared JetStream with the shared
// relay key; stop ends it (its connections get CodeShuttingDown).
type clusterRelay struct {
	addr string
	stop func()
}

func startClusterRelay(t *testing.T, url string, key *secp.PrivateKey) *clusterRelay {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	node, err := cluster.Open(ctx, cluster.Config{URLs: []string{url}, Replicas: 1, Registerer: prometheus.NewRegistry()})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := relay.New(relay.Config{StateDir: t.TempDir(), Key: key, Store: node, Router: node.Router(),
		AuthBurstPerAddr: 1000, AuthRatePerAddr: 1000})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(sctx, pc) }()
	r := &clusterRelay{addr: pc.LocalAddr().String()}
	var stopped bool
	r.stop = func() {
		if stopped {
			return
		}
		stopped = true
		stop()
		<-done
		_ = pc.Close()
		_ = srv.Close()
		_ = node.Close()
	}
	t.Cleanup(r.stop)
	return r
}

// TestFailoverToSecondRelayNode: two relay nodes of one deployment (one
// relay key, accounts and mailboxes in JetStream). Both daemons use node 1
// first; node 1 stops; they move to node 2, resume without a password, and
// every message (before, during and after the move, both ways) arrives
// exactly once.
func TestFailoverToSecondRelayNode(t *testing.T) {
	url := startJetStream(t)
	key, err := secp.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	r1, r2 := startClusterRelay(t, url, key), startClusterRelay(t, url, key)
	addrs := r1.addr + "," + r2.addr
	alice, bob := startNode(t, addrs, ""), startNode(t, addrs, "")
	alice.register("alice")
	bob.register("bob")
	checkRelayAddr(t, alice, r1.addr)
	aIDs := []string{alice.send("bob", "before 1", api.StatusDelivered).Message.ID}
	bIDs := []string{bob.send("alice", "before 2", api.StatusDelivered).Message.ID}

	r1.stop()
	// Queued while the link moves: sent on node 2 with the same ids.
	aIDs = append(aIDs, alice.send("bob", "during 1", "").Message.ID)
	alice.waitState(api.LinkConnected)
	bob.waitState(api.LinkConnected)
	checkRelayAddr(t, alice, r2.addr)
	checkRelayAddr(t, bob, r2.addr)
	aIDs = append(aIDs, alice.send("bob", "after 1", api.StatusDelivered).Message.ID)
	bIDs = append(bIDs, bob.send("alice", "after 2", api.StatusDelivered).Message.ID)
	for _, id := range aIDs {
		alice.waitFor("delivered "+id, func() bool { return alice.status(id) == api.StatusDelivered })
	}
	checkConversation(t, alice, bob, "alice", "bob", aIDs, bIDs)
	if k := alice.e.pinnedKey(); !k.Equal(key.Public()) {
		t.Fatalf("pinned %v, want the deployment's key", k)
	}
}

func checkRelayAddr(t *testing.T, n *node, want string) {
	t.Helper()
	st, err := n.e.Status(context.Background(), api.StatusParams{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Relay.Address != want || st.Relay.State != api.LinkConnected {
		t.Fatalf("relay %s %s, want %s connected", st.Relay.Address, st.Relay.State, want)
	}
	if strings.Contains(st.Relay.Address, ",") {
		t.Fatal("status shows the whole list, not the address in use")
	}
}
