package cluster

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/securep2p/securep2p/relay"
	"github.com/securep2p/securep2p/relay/relaytest/hopclient"
)

// relayProc is a real p2p-relay process with --cluster.
type relayProc struct {
	cmd  *exec.Cmd
	addr string
}

func buildRelay(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "p2p-relay")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/p2p-relay").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startProc runs the binary with the shared key file copied into its own
// state directory, as an operator deploys nodes.
func startProc(t *testing.T, bin string, key []byte, urls []string) *relayProc {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, relay.KeyFile), key, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--metrics", "off", "--state-dir", dir,
		"--cluster", strings.Join(urls, ","))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	p := &relayProc{cmd: cmd}
	sc := bufio.NewScanner(stdout)
	for p.addr == "" && sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
			p.addr = a
		}
	}
	if p.addr == "" {
		t.Fatal("relay printed no address")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	return p
}

// TestRelayProcessKilledMidStream: alice streams to bob through node 1;
// node 1 gets SIGKILL mid-stream; alice reconnects to node 3 and re-sends
// every id (accepted ones too). Bob, on node 2, gets each message exactly
// once: 0 lost, 0 duplicated.
func TestRelayProcessKilledMidStream(t *testing.T) {
	nc := sharedNATS(t)
	bin := buildRelay(t)
	key := newRelayKey(t)
	procs := []*relayProc{}
	for range 3 {
		procs = append(procs, startProc(t, bin, key.Bytes(), nc.urls))
	}
	pin := key.Public()
	alice, bob := uniqueUser(t, "alice", 0), uniqueUser(t, "bob", 0)
	ac := hopclient.Connect(t, procs[0].addr, pin, alice, true)
	bc := hopclient.Connect(t, procs[1].addr, pin, bob, true)

	const n = 200
	ids := make([][]byte, n)
	for i := range ids {
		ids[i] = hopclient.NewMsgID()
	}
	received := make(chan map[string]string, 1)
	go func() {
		seen := map[string]string{}
		receive(t, bc, n, seen)
		received <- seen
	}()
	accepted := 0
	for i := range n {
		ac.Send(ids[i], bob, fmt.Sprintf("m%d", i))
		if i == n/2 {
			break
		}
	}
	for accepted < n/4 {
		accepted += len(hopclient.AcceptedIDs(ac.Next()))
	}
	procs[0].cmd.Process.Signal(syscall.SIGKILL)
	procs[0].cmd.Wait()

	ac = hopclient.Connect(t, procs[2].addr, pin, alice, false)
	for i := range n {
		sendAccepted(t, ac, ids[i], bob, fmt.Sprintf("m%d", i))
	}
	select {
	case seen := <-received:
		for i := range n {
			if seen[string(ids[i])] != fmt.Sprintf("m%d", i) {
				t.Fatalf("message m%d lost", i)
			}
		}
	case <-time.After(60 * time.Second):
		t.Fatal("bob did not receive every message")
	}
	for _, f := range bc.Sync() {
		if f.Deliver != nil {
			t.Fatalf("message %q delivered twice", f.Deliver.Body)
		}
	}
}
