package engine

import (
	"context"
	"testing"

	"github.com/securep2p/securep2p/daemon/api"
)

// TestRegisterRightAfterStart: `p2pd & p2pctl register` must not fail just
// because the first relay connection is still being set up.
func TestRegisterRightAfterStart(t *testing.T) {
	r := startRelay(t)
	n := startNode(t, r.addr, "")
	if _, err := n.e.Register(context.Background(), api.RegisterParams{Username: "alice", Password: "password-alice"}); err != nil {
		t.Fatalf("register straight after start: %v", err)
	}
}

// TestRegisterRelayDownStillUnreachable: with no relay at all, register
// still ends with relay_unreachable (after the bounded wait).
func TestRegisterRelayDownStillUnreachable(t *testing.T) {
	n := startNode(t, "127.0.0.1:9", "")
	_, err := n.e.Register(context.Background(), api.RegisterParams{Username: "alice", Password: "password-alice"})
	if ae, ok := err.(*api.Error); !ok || ae.Code != api.CodeRelayUnreachable {
		t.Fatalf("register with no relay: %v, want relay_unreachable", err)
	}
}
