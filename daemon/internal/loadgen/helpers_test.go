package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/securep2p/securep2p/relay"
)

// startTestRelay serves a real relay in-process on 127.0.0.1, its limits
// opened up for many users from one address, and returns its address and key.
func startTestRelay(t *testing.T) (addr, key string) {
	t.Helper()
	srv, err := relay.New(relay.Config{StateDir: t.TempDir(), MaxConnsPerAddr: 1000,
		AuthRatePerAddr: 1e6, AuthBurstPerAddr: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, pc) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("relay Serve: %v", err)
		}
		_ = srv.Close()
		_ = pc.Close()
	})
	return pc.LocalAddr().String(), srv.PublicKey().String()
}

// runMain runs Main and decodes its one JSON object.
func runMain(t *testing.T, args ...string) (code int, res map[string]any, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, &out, &errb)
	if out.Len() > 0 {
		dec := json.NewDecoder(&out)
		if err := dec.Decode(&res); err != nil {
			t.Fatalf("stdout is not one JSON object: %v\n%s", err, out.String())
		}
		if dec.More() {
			t.Fatalf("more than one JSON value on stdout")
		}
	}
	return code, res, errb.String()
}

// number returns a numeric JSON field, failing when it is missing.
func number(t testing.TB, res map[string]any, field string) float64 {
	t.Helper()
	v, ok := res[field].(float64)
	if !ok {
		t.Fatalf("field %q missing or not a number in %v", field, res)
	}
	return v
}

// buildRelay builds the p2p-relay binary into a temporary directory.
func buildRelay(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "p2p-relay")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/securep2p/securep2p/relay/cmd/p2p-relay")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build p2p-relay: %v\n%s", err, out)
	}
	return bin
}
