package integration

import (
	"context"
	"testing"

	"github.com/securep2p/securep2p/integration/faultproxy"
)

// startProxy runs a seeded fault proxy in front of r (seed from
// testSeed, so P2P_TEST_SEED replays it) until the test ends.
func startProxy(t *testing.T, r *relayNode, up, down faultproxy.Faults) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.New(faultproxy.Config{Upstream: r.addr, Seed: testSeed(t), Up: up, Down: down})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fault proxy %s -> %s, seed %d", p.Addr(), r.addr, p.Seed())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("fault proxy: %v", err)
		}
		t.Logf("fault proxy stats: %+v", p.Stats())
	})
	return p
}
