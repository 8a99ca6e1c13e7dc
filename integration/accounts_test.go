package integration

import (
	"testing"
	"time"

	"github.com/securep2p/securep2p/daemon/api"
)

// password is the test password of user (never a real secret).
func password(user string) string { return user + "-integration-pw" }

// register registers user on d with p2pctl (password on stdin) and checks
// the JSON answer.
func (d *daemonNode) register(t *testing.T, user string) api.AccountResult {
	t.Helper()
	res := ctlJSON[api.AccountResult](t, d, password(user)+"\n", "register", user, "--password-stdin")
	if res.Username != user || res.Fingerprint == "" {
		t.Fatalf("register %s: %+v", user, res)
	}
	return res
}

// login logs user in on d with p2pctl.
func (d *daemonNode) login(t *testing.T, user string) api.AccountResult {
	t.Helper()
	res := ctlJSON[api.AccountResult](t, d, password(user)+"\n", "login", user, "--password-stdin")
	if res.Username != user {
		t.Fatalf("login %s: %+v", user, res)
	}
	return res
}

// pair is a relay and two registered, connected daemons.
type pair struct {
	relay      *relayNode
	alice, bob *daemonNode
}

// startPair starts a relay and daemons for alice and bob and registers
// both. The daemons dial via(relay) when via is set (a fault proxy), else
// the relay itself.
func startPair(t *testing.T, via func(*relayNode) string) *pair {
	t.Helper()
	p := &pair{relay: startRelay(t)}
	daemonRelay := p.relay.addr
	if via != nil {
		daemonRelay = via(p.relay)
	}
	p.alice = startDaemon(t, "alice", daemonRelay)
	p.bob = startDaemon(t, "bob", daemonRelay)
	// p2pd answers register with relay_unreachable until its first
	// connection is up (reported gap), so wait for it: logged_out means
	// connected, no account session yet.
	p.alice.waitLink(t, time.Minute, api.LinkLoggedOut)
	p.bob.waitLink(t, time.Minute, api.LinkLoggedOut)
	p.alice.register(t, "alice")
	p.bob.register(t, "bob")
	p.alice.waitLink(t, time.Minute, api.LinkConnected)
	p.bob.waitLink(t, time.Minute, api.LinkConnected)
	return p
}
