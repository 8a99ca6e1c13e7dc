package integration

import (
	"context"
	"testing"
	"time"

	"github.com/securep2p/securep2p/daemon/api"
)

// TestEverythingExitsZeroOnSIGTERM is scenario 10: every program exits 0
// on SIGTERM in the states it is usually stopped in — a watch stream, a
// relay with live connections and a queued message, daemons whose relay
// is gone, a daemon that never logged in. (Every other test's cleanup
// requires the same of each process it did not kill.)
func TestEverythingExitsZeroOnSIGTERM(t *testing.T) {
	p := startPair(t, nil)
	idle := startDaemon(t, "idle", p.relay.addr)
	idle.waitLink(t, time.Minute, api.LinkLoggedOut)
	warmUp(t, p)
	watch := p.alice.startWatch(t, 0)
	waitEvent(t, watch, "a message event", func(e api.Event) bool { return e.Type == api.EventMessage })
	stopExpectZero(t, watch)

	p.bob.ctlOK(t, "", "send", "@alice", "in flight when the relay stops")
	stopExpectZero(t, p.relay.proc)
	p.alice.waitFor(t, time.Minute, "the relay link to go down", func(ctx context.Context) (bool, error) {
		st, err := p.alice.c.Status(ctx, api.StatusParams{})
		return st.Relay.State != api.LinkConnected, err
	})
	for _, d := range []*daemonNode{p.alice, p.bob, idle} {
		stopExpectZero(t, d.proc)
	}
}

// stopExpectZero stops p with SIGTERM and requires exit code 0.
func stopExpectZero(t *testing.T, p *proc) {
	t.Helper()
	p.stop()
	if code := p.exitCode(); code != 0 {
		t.Fatalf("%s exited %d on SIGTERM", p.name, code)
	}
}
