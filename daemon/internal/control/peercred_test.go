package control

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const helperEnv = "P2PD_CONTROL_TEST_CONNECT"

// TestHelperConnect is not a test: re-executed as another uid, it calls
// the socket named by helperEnv and prints the HTTP status and body.
func TestHelperConnect(t *testing.T) {
	sock := os.Getenv(helperEnv)
	if sock == "" {
		return // not running as the helper: nothing to check here
	}
	resp, err := unixClient(sock).Get("http://localhost/v1/status")
	if err != nil {
		fmt.Printf("error: %v\n", err)
		os.Exit(0)
	}
	body, _ := io.ReadAll(resp.Body)
	fmt.Printf("status %d %s\n", resp.StatusCode, body)
	os.Exit(0)
}

// TestPeerUIDRefused runs a child process as nobody against a socket whose
// file permissions would let it in: only the SO_PEERCRED check stops it.
func TestPeerUIDRefused(t *testing.T) {
	if os.Getuid() != 0 {
		t.Log("not root: the other-uid child cannot be started; checking the same-uid path only")
	}
	d := startDaemon(t, "127.0.0.1:9")
	if os.Getuid() != 0 {
		if s := d.do("GET", "/v1/status", "", nil); s != http.StatusOK {
			t.Fatalf("same uid refused: %d", s)
		}
		return
	}
	// Open the path for everyone so the kernel lets the child connect.
	run := filepath.Dir(d.sock) // t.TempDir()/run; t.TempDir and its parent are 0700 too
	for _, p := range []string{filepath.Dir(filepath.Dir(run)), filepath.Dir(run), run} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(d.sock, 0o666); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Dir(filepath.Dir(exe)), filepath.Dir(exe)} { // go's build dirs are 0700
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.CommandContext(context.Background(), exe, "-test.run", "^TestHelperConnect$")
	cmd.Env = append(os.Environ(), helperEnv+"="+d.sock)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "status 403") || !strings.Contains(string(out), `"forbidden"`) {
		t.Fatalf("child as nobody was not refused with 403 forbidden:\n%s", out)
	}
	// The same request as root is served.
	if s := d.do("GET", "/v1/status", "", nil); s != http.StatusOK {
		t.Fatalf("root refused: %d", s)
	}
}
