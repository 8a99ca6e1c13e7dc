package relay

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/securep2p/securep2p/relay/relaytest/hopclient"
	"github.com/securep2p/securep2p/wire/secp"
)

// relayProc is the real p2p-relay binary.
type relayProc struct {
	cmd  *exec.Cmd
	addr string
	key  secp.PublicKey
}

func buildRelay(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "p2p-relay")
	out, err := exec.Command("go", "build", "-o", bin, "./cmd/p2p-relay").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func startProc(t testing.TB, bin, dir string, flags ...string) *relayProc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--listen", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--state-dir", dir}, flags...)...)
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
	for i := 0; i < 3 && sc.Scan(); i++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "relay key: "):
			b, _ := hex.DecodeString(strings.TrimPrefix(line, "relay key: "))
			if p.key, err = secp.ParsePublicKey(b); err != nil || len(line) != len("relay key: ")+66 {
				t.Fatalf("bad key line %q", line)
			}
		case strings.HasPrefix(line, "listening on "):
			p.addr = strings.TrimPrefix(line, "listening on ")
		case !strings.HasPrefix(line, "metrics on 127.0.0.1:"):
			t.Fatalf("unexpected line %q", line)
		}
	}
	if p.addr == "" || p.key.IsZero() || strings.HasSuffix(p.addr, ":0") {
		t.Fatalf("start lines missing: addr %q", p.addr)
	}
	return p
}

// TestMessageSurvivesKill9 kills the real relay with SIGKILL right after
// Accepted; the restarted relay delivers the message.
func TestMessageSurvivesKill9(t *testing.T) {
	bin := buildRelay(t)
	dir := t.TempDir()
	p := startProc(t, bin, dir)
	bob, alice := hopclient.NewUser(t, "bob", 0), hopclient.NewUser(t, "alice", 0)
	bc := hopclient.Dial(t, p.addr, p.key)
	hopclient.MustWelcome(t, bc.Register(bob))
	bc.Conn.CloseWithError(0, "")
	ac := hopclient.Dial(t, p.addr, p.key)
	hopclient.MustWelcome(t, ac.Register(alice))
	id := ac.SendOK(bob, "must survive kill -9")
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()

	p2 := startProc(t, bin, dir)
	if p2.key != p.key {
		t.Fatal("relay key changed across restart")
	}
	c := hopclient.Dial(t, p2.addr, p2.key)
	hopclient.MustWelcome(t, c.Resume(bob))
	f := c.Next()
	if f.Deliver == nil || !bytes.Equal(f.Deliver.ID, id) {
		t.Fatalf("got %v", f.Type())
	}
}

// TestBinarySIGTERMExitsZero: graceful shutdown of the real binary.
func TestBinarySIGTERMExitsZero(t *testing.T) {
	bin := buildRelay(t)
	dir := t.TempDir()
	p := startProc(t, bin, dir)
	hopclient.Dial(t, p.addr, p.key).Sync()
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit within 15s of SIGTERM")
	}
	for _, f := range []string{KeyFile, CertKeyFile, DatabaseFile} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v mode %v", f, err, st.Mode())
		}
	}
}
