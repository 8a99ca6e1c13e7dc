package ctl

import (
	"os/exec"
	"strings"
	"testing"
)

// TestP2pctlDependencies fails if p2pctl links QUIC, the relay hop, any
// cryptography, or daemon internals: it talks to p2pd over a local socket
// and must stay that small.
func TestP2pctlDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/securep2p/securep2p/ctl/cmd/p2pctl").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := []string{"github.com/quic-go", "/wire/hop", "/daemon/internal", "crypto/ecdh", "secp256k1", "crypto/tls", "net/http"}
	deps := strings.Fields(string(out))
	for _, d := range deps {
		for _, f := range forbidden {
			if strings.Contains(d, f) || d == strings.TrimPrefix(f, "/") {
				t.Errorf("p2pctl links %s (forbidden: %s)", d, f)
			}
		}
	}
	if len(deps) < 10 {
		t.Fatalf("go list printed too little to be a dependency list: %q", out)
	}
}
