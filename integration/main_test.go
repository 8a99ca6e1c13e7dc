package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// bins holds the three binaries TestMain built once for the whole run.
var bins struct {
	relay, daemon, ctl string
	err                error // why the build failed; every process test fails with it
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "securep2p-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		os.Exit(1)
	}
	bins.err = buildBinaries(dir)
	if bins.err != nil {
		fmt.Fprintln(os.Stderr, "integration: building the binaries failed:", bins.err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildBinaries builds p2p-relay, p2pd and p2pctl into dir.
func buildBinaries(dir string) error {
	_, file, _, _ := runtime.Caller(0)
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator),
		"./relay/cmd/p2p-relay", "./daemon/cmd/p2pd", "./ctl/cmd/p2pctl")
	cmd.Dir = filepath.Dir(filepath.Dir(file))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	bins.relay = filepath.Join(dir, "p2p-relay")
	bins.daemon = filepath.Join(dir, "p2pd")
	bins.ctl = filepath.Join(dir, "p2pctl")
	return nil
}

// needBinaries fails the test (never skips it) when the build failed.
func needBinaries(t *testing.T) {
	t.Helper()
	if bins.err != nil {
		t.Fatalf("the binaries did not build, so this test cannot run: %v", bins.err)
	}
}
