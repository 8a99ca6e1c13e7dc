package integration

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/securep2p/securep2p"

// goPackage is the subset of `go list -json` output the structure tests read.
type goPackage struct {
	ImportPath string
	Name       string
	Doc        string
	Deps       []string
}

func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

func goList(t *testing.T, args ...string) []goPackage {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-json"}, args...)...)
	cmd.Dir = repoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	var pkgs []goPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p goPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// forbidden returns the dependencies of pkg that start with any prefix.
func forbidden(t *testing.T, pkg string, prefixes ...string) []string {
	t.Helper()
	var bad []string
	for _, p := range goList(t, "-deps", pkg) {
		for _, pre := range prefixes {
			if p.ImportPath == pre || strings.HasPrefix(p.ImportPath, pre+"/") {
				bad = append(bad, p.ImportPath)
			}
		}
	}
	return bad
}

// TestRelayLinksNoDaemonCode keeps the relay from linking client code: it
// must never hold end-to-end keys or sessions.
func TestRelayLinksNoDaemonCode(t *testing.T) {
	if bad := forbidden(t, "./relay/...", module+"/daemon", module+"/ctl"); len(bad) > 0 {
		t.Fatalf("relay links daemon/ctl packages: %v", bad)
	}
}

// TestP2pctlLinksNoCryptoOrTransport keeps p2pctl a thin client of the
// control socket.
func TestP2pctlLinksNoCryptoOrTransport(t *testing.T) {
	bad := forbidden(t, "./ctl/...",
		"github.com/quic-go", module+"/wire/hop", module+"/wire/secp", module+"/daemon/internal",
		"github.com/decred", "go.etcd.io/bbolt")
	if len(bad) > 0 {
		t.Fatalf("p2pctl links forbidden packages: %v", bad)
	}
}

// TestInstallYieldsThreeBinaries checks that `go install ./...` builds
// exactly p2p-relay, p2pd and p2pctl.
func TestInstallYieldsThreeBinaries(t *testing.T) {
	var mains []string
	for _, p := range goList(t, "./...") {
		if p.Name == "main" {
			mains = append(mains, filepath.Base(p.ImportPath))
		}
	}
	slices.Sort(mains)
	want := []string{"p2p-relay", "p2pctl", "p2pd"}
	if !slices.Equal(mains, want) {
		t.Fatalf("main packages = %v, want %v", mains, want)
	}
}

// TestEveryPackageHasDoc requires a package doc comment everywhere.
func TestEveryPackageHasDoc(t *testing.T) {
	for _, p := range goList(t, "./...") {
		if strings.TrimSpace(p.Doc) == "" {
			t.Errorf("package %s has no doc comment", p.ImportPath)
		}
	}
}

// TestTopLevelLayout keeps the repository's top level to the agreed entries.
func TestTopLevelLayout(t *testing.T) {
	cmd := exec.Command("git", "ls-files")
	cmd.Dir = repoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	allowed := map[string]bool{"relay": true, "daemon": true, "ctl": true, "wire": true, "metrics": true,
		"integration": true, "go.mod": true, "go.sum": true, "Makefile": true, "README.md": true, ".ci": true}
	for _, f := range strings.Fields(string(out)) {
		top := strings.SplitN(f, "/", 2)[0]
		if !allowed[top] {
			t.Errorf("unexpected top-level entry %q", top)
		}
	}
}
