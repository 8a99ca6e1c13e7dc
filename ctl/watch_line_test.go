package ctl

import (
	"strings"
	"testing"

	"github.com/securep2p/securep2p/daemon/api"
)

// TestStatusLineDirection: a status change of an incoming message (it was
// read) names the sender, not "to @sender".
func TestStatusLineDirection(t *testing.T) {
	in := statusLine(api.Message{ID: "ab", Peer: "alice", Direction: api.DirectionIn, Status: api.StatusRead})
	out := statusLine(api.Message{ID: "cd", Peer: "bob", Direction: api.DirectionOut, Status: api.StatusSent})
	if !strings.Contains(in, "from @alice: read") || !strings.Contains(out, "to @bob: sent") {
		t.Fatalf("status lines %q / %q", in, out)
	}
}
