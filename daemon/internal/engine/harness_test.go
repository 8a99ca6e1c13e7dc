package engine

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/store"
	"github.com/securep2p/securep2p/relay"
	"github.com/securep2p/securep2p/relay/relaytest"
	"github.com/securep2p/securep2p/wire/secp"
)

// testRelay is a real relay on 127.0.0.1.
type testRelay struct {
	addr string
	key  secp.PublicKey
}

func startRelay(t *testing.T) *testRelay {
	t.Helper()
	r := relaytest.Start(t, relay.Config{AuthBurstPerAddr: 1000, AuthRatePerAddr: 1000})
	return &testRelay{addr: r.Addr, key: r.Key}
}

// node is one engine with its own store, running until stopped.
type node struct {
	t      *testing.T
	e      *Engine
	db     *store.DB
	path   string
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

type nodeOpt func(*Config)

func startNode(t *testing.T, addr, path string, opts ...nodeOpt) *node {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "state.db")
	}
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{DB: db, RelayAddr: addr, RetryEvery: 200 * time.Millisecond,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, PrekeyBatch: 10, PrekeyLow: 3}
	for _, o := range opts {
		o(&cfg)
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &node{t: t, e: e, db: db, path: path, cancel: cancel, done: make(chan struct{})}
	go func() { defer close(n.done); _ = e.Run(ctx) }()
	t.Cleanup(n.stop)
	return n
}

func (n *node) stop() {
	n.once.Do(func() {
		n.cancel()
		<-n.done
		_ = n.db.Close()
	})
}

// waitFor waits until cond holds, re-checking on every engine change.
func (n *node) waitFor(what string, cond func() bool) {
	n.t.Helper()
	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-n.e.changes():
		case <-tick.C:
		case <-deadline:
			n.t.Fatalf("gave up waiting for %s", what)
		}
	}
}

func (n *node) waitState(s api.LinkState) {
	n.t.Helper()
	n.waitFor("link state "+string(s), func() bool { return n.e.linkState() == s })
}

func (n *node) register(name string) {
	n.t.Helper()
	n.waitState(api.LinkLoggedOut)
	if _, err := n.e.Register(context.Background(), api.RegisterParams{Username: name, Password: "password-" + name}); err != nil {
		n.t.Fatalf("register %s: %v", name, err)
	}
}

func (n *node) send(to, text string, wait api.Status) api.SendResult {
	n.t.Helper()
	r, err := n.e.Send(context.Background(), api.SendParams{To: to, Text: text, Wait: wait, TimeoutMS: 30000})
	if err != nil {
		n.t.Fatalf("send to %s: %v", to, err)
	}
	return r
}

func (n *node) status(id string) api.Status {
	m, err := n.e.Message(context.Background(), api.MessageParams{ID: id})
	if err != nil {
		n.t.Fatalf("message %s: %v", id, err)
	}
	return m.Message.Status
}

func (n *node) history(peer string) []api.Message {
	n.t.Helper()
	h, err := n.e.History(context.Background(), api.HistoryParams{User: peer})
	if err != nil {
		n.t.Fatalf("history %s: %v", peer, err)
	}
	return h.Messages
}

// offlineWithSession registers alice and bob on a fresh relay, gives alice
// a session with bob (one message delivered), stops her, and restarts her
// state against an address where no relay listens (nothing she sends is
// transmitted). It returns the relay, bob and offline alice.
func offlineWithSession(t *testing.T) (r *testRelay, bob, offline *node) {
	t.Helper()
	r = startRelay(t)
	alice := startNode(t, r.addr, "")
	bob = startNode(t, r.addr, "")
	alice.register("alice")
	bob.register("bob")
	alice.send("bob", "first", api.StatusDelivered) // session exists now
	alice.stop()
	return r, bob, startNode(t, "127.0.0.1:9", alice.path)
}

// conversing registers alice and bob on a fresh relay and has them
// exchange one message each way, so both hold a working session.
func conversing(t *testing.T) (alice, bob *node) {
	t.Helper()
	r := startRelay(t)
	alice, bob = startNode(t, r.addr, ""), startNode(t, r.addr, "")
	alice.register("alice")
	bob.register("bob")
	alice.send("bob", "first", api.StatusDelivered)
	bob.send("alice", "reply", api.StatusDelivered)
	return alice, bob
}
