package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/securep2p/securep2p/daemon/client"
)

// testEnv is the environment of every started process: ours without the
// XDG directories, so no default path can reach the user's real state.
func testEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "XDG_RUNTIME_DIR=") && !strings.HasPrefix(kv, "XDG_STATE_HOME=") {
			env = append(env, kv)
		}
	}
	return env
}

// relayArgs are the limits every test relay runs with: all test daemons
// share 127.0.0.1, so the per-address limits are raised; a 10s idle
// timeout (QUIC takes the smaller of both ends') makes daemons notice a
// killed or tampered-with relay within seconds instead of 45.
var relayArgs = []string{"--auth-rate", "1000", "--auth-burst", "1000", "--max-conns-per-addr", "256", "--idle-timeout", "10s"}

// relayNode is a running p2p-relay.
type relayNode struct {
	*proc
	stateDir string
	addr     string // HOST:PORT of the QUIC listener
	key      string // 66 hex digits
	metrics  string // HOST:PORT of /metrics
	extra    []string
}

// startRelay starts a relay with a fresh state directory on a free port.
func startRelay(t *testing.T, extra ...string) *relayNode {
	t.Helper()
	return startRelayAt(t, t.TempDir(), "127.0.0.1:0", extra...)
}

// startRelayAt starts a relay with stateDir listening on listen.
func startRelayAt(t *testing.T, stateDir, listen string, extra ...string) *relayNode {
	t.Helper()
	needBinaries(t)
	args := append([]string{"--listen", listen, "--metrics", "127.0.0.1:0", "--state-dir", stateDir}, relayArgs...)
	r := &relayNode{stateDir: stateDir, extra: extra}
	r.proc = startProc(t, "p2p-relay", bins.relay, append(args, extra...)...)
	var next int
	r.key, next = r.waitLine("relay key:", 0)
	r.addr, next = r.waitLine("listening on", next)
	r.metrics, _ = r.waitLine("metrics on", next)
	if len(r.key) != 66 {
		t.Fatalf("relay key %q is not 66 hex digits", r.key)
	}
	return r
}

// restart starts the relay again with the same state directory and port
// (after kill or stop).
func (r *relayNode) restart(t *testing.T) *relayNode {
	t.Helper()
	return startRelayAt(t, r.stateDir, r.addr, r.extra...)
}

// daemonNode is a running p2pd.
type daemonNode struct {
	*proc
	name     string // the user it is for, used in logs
	relay    string // --relay
	stateDir string
	socket   string
	extra    []string
	c        *client.Client
}

// startDaemon starts a p2pd for user with a fresh state directory.
func startDaemon(t *testing.T, user, relayAddr string, extra ...string) *daemonNode {
	t.Helper()
	d := &daemonNode{name: user, relay: relayAddr, stateDir: t.TempDir(), socket: shortSocket(t), extra: extra}
	d.start(t)
	return d
}

// shortSocket is a socket path in a fresh 0700 directory under the system
// temp dir (test temp dirs can exceed the 107-byte socket path limit).
func shortSocket(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "p2pd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "p2pd.sock")
}

func (d *daemonNode) start(t *testing.T) {
	t.Helper()
	needBinaries(t)
	args := append([]string{"--relay", d.relay, "--state-dir", d.stateDir, "--socket", d.socket}, d.extra...)
	d.proc = startProc(t, "p2pd["+d.name+"]", bins.daemon, args...)
	sock, _ := d.waitLine("control socket:", 0)
	if sock != d.socket {
		t.Fatalf("p2pd[%s] listens on %q, want %q", d.name, sock, d.socket)
	}
	d.c = &client.Client{Socket: d.socket, UserAgent: "integration-test"}
}

// restart starts the daemon again with the same state directory and socket
// (after kill or stop).
func (d *daemonNode) restart(t *testing.T) {
	t.Helper()
	d.start(t)
}
