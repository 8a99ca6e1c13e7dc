package main

import (
	"bufio"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/securep2p/securep2p/relay"
	"github.com/securep2p/securep2p/relay/relaytest"
)

// TestMain lets the test binary act as p2pd when re-executed.
func TestMain(m *testing.M) {
	if os.Getenv("P2PD_TEST_AS_MAIN") == "1" {
		os.Args = append([]string{"p2pd"}, os.Args[1:]...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestReadinessLinesAndCleanSIGTERM(t *testing.T) {
	r := relaytest.Start(t, relay.Config{})

	state := filepath.Join(t.TempDir(), "state")
	sock := filepath.Join(t.TempDir(), "p2pd.sock")
	cmd := exec.Command(os.Args[0], "--relay", r.Addr,
		"--relay-key", r.Key.String(), "--state-dir", state, "--socket", sock)
	cmd.Env = append(os.Environ(), "P2PD_TEST_AS_MAIN=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	var lines []string
	for len(lines) < 3 && sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != 3 || lines[0] != "control socket: "+sock || !strings.HasPrefix(lines[1], "identity: ") || lines[2] != "state dir: "+state {
		t.Fatalf("readiness lines %q", lines)
	}
	c, err := net.Dial("unix", sock) // listening when announced
	if err != nil {
		t.Fatalf("socket announced but not listening: %v", err)
	}
	c.Close()
	if fi, err := os.Stat(state); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("state dir %v %v", fi, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("p2pd did not exit 0 on SIGTERM: %v", err)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Fatalf("socket left behind: %v", err)
	}
}

// TestRelayListRejected: a malformed --relay list is refused at start
// with exit 1 and a message naming the flag.
func TestRelayListRejected(t *testing.T) {
	cmd := exec.Command(os.Args[0], "--relay", "127.0.0.1:4433,,127.0.0.1:4434",
		"--state-dir", filepath.Join(t.TempDir(), "state"), "--socket", filepath.Join(t.TempDir(), "p2pd.sock"))
	cmd.Env = append(os.Environ(), "P2PD_TEST_AS_MAIN=1")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "--relay: ") {
		t.Fatalf("err %v, output %q; want exit 1 naming --relay", err, out)
	}
}
