package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// ctlTimeout bounds one p2pctl run.
const ctlTimeout = 90 * time.Second

// ctlResult is what one p2pctl run produced.
type ctlResult struct {
	Stdout, Stderr string
	Code           int
}

func (r ctlResult) String() string {
	return "exit " + itoa(r.Code) + "\n--- stdout\n" + r.Stdout + "--- stderr\n" + r.Stderr
}

// runCtl runs p2pctl with args and stdin (empty: none) and returns its
// output and exit code.
func runCtl(t *testing.T, stdin string, args ...string) ctlResult {
	t.Helper()
	needBinaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), ctlTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bins.ctl, args...)
	cmd.Env = testEnv()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("p2pctl %v: %v", args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("p2pctl %v did not finish within %v", args, ctlTimeout)
	}
	return ctlResult{Stdout: out.String(), Stderr: errb.String(), Code: cmd.ProcessState.ExitCode()}
}

// ctl runs p2pctl against d's socket.
func (d *daemonNode) ctl(t *testing.T, stdin string, args ...string) ctlResult {
	t.Helper()
	return runCtl(t, stdin, append([]string{"--socket", d.socket}, args...)...)
}

// ctlOK runs p2pctl against d and requires exit code 0.
func (d *daemonNode) ctlOK(t *testing.T, stdin string, args ...string) ctlResult {
	t.Helper()
	r := d.ctl(t, stdin, args...)
	if r.Code != 0 {
		t.Fatalf("p2pctl %v on %s: %v", args, d.name, r)
	}
	return r
}

// ctlJSON runs p2pctl --json against d, requires exit code 0 and decodes
// its single line of output into T.
func ctlJSON[T any](t *testing.T, d *daemonNode, stdin string, args ...string) T {
	t.Helper()
	r := d.ctlOK(t, stdin, append([]string{"--json"}, args...)...)
	return decodeJSON[T](t, r.Stdout)
}

// decodeJSON decodes exactly one JSON value from s.
func decodeJSON[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %T from %q: %v", v, s, err)
	}
	if dec.More() {
		t.Fatalf("more than one JSON value in %q", s)
	}
	return v
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
