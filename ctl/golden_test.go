package ctl

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// runCLI runs p2pctl against socket with args and stdin, with UTC times and
// a fake password prompt, and returns exit code, stdout and stderr.
func runCLI(t *testing.T, socket, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	c := &cli{stdio: Stdio{In: strings.NewReader(stdin), Out: &out, Err: &errb}, loc: time.UTC,
		askPassword: func(ctx context.Context, prompt string) (string, error) {
			return "", usagef("no terminal to ask for the password: use --password-stdin")
		}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code := c.main(ctx, append([]string{"--socket", socket}, args...))
	return code, out.String(), errb.String()
}

func golden(t *testing.T, name string, code int, stdout, stderr string) {
	t.Helper()
	got := fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", code, stdout, stderr)
	path := filepath.Join("testdata", name+".golden")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./ctl -run Golden -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

func TestGolden(t *testing.T) {
	cases := []struct {
		name, stdin string
		args        []string
	}{
		{"help", "", []string{"help"}},
		{"help_send", "", []string{"help", "send"}},
		{"status", "", []string{"status"}},
		{"status_json", "", []string{"--json", "status"}},
		{"register", "correct horse\n", []string{"register", "bob", "--password-stdin"}},
		{"register_taken", "correct horse\n", []string{"register", "@taken", "--password-stdin"}},
		{"login", "pw12345678\n", []string{"login", "bob", "--password-stdin"}},
		{"login_key_changed", "pw12345678\n", []string{"login", "mallory", "--password-stdin"}},
		{"login_wrong_password", "wrong\n", []string{"login", "bob", "--password-stdin"}},
		{"login_no_tty", "", []string{"login", "bob"}},
		{"logout", "", []string{"logout"}},
		{"send", "", []string{"send", "@alice", "hello", "there"}},
		{"send_json", "", []string{"send", "@alice", "hello", "--json"}},
		{"send_stdin", "from stdin\n", []string{"send", "@alice", "-"}},
		{"send_wait", "", []string{"send", "@alice", "hi", "--wait", "delivered", "--timeout", "5s"}},
		{"send_wait_timeout", "", []string{"send", "@slow", "hi", "--wait", "sent"}},
		{"send_wait_timeout_json", "", []string{"--json", "send", "@slow", "hi", "--wait", "sent"}},
		{"send_held", "", []string{"send", "@held", "hi"}},
		{"send_warning", "", []string{"send", "@dave", "hi"}},
		{"send_unknown_user", "", []string{"send", "@nobody", "hi"}},
		{"send_empty", "", []string{"send", "@alice", ""}},
		{"send_too_large", strings.Repeat("x", 16385), []string{"send", "@alice", "-"}},
		{"send_bad_wait", "", []string{"send", "@alice", "hi", "--wait", "soon"}},
		{"send_dash_text", "", []string{"send", "@alice", "--", "-5 degrees"}},
		{"history", "", []string{"history", "@alice"}},
		{"history_not_found", "", []string{"history", "@zed"}},
		{"watch_since", "", []string{"watch", "--since", "0"}},
		{"watch_json", "", []string{"--json", "watch", "--since", "3"}},
		{"contacts", "", []string{"contacts"}},
		{"verify", "", []string{"verify", "@alice"}},
		{"verify_mark", "", []string{"verify", "--mark", "@alice"}},
		{"trust", "", []string{"trust", "@carol"}},
		{"trust_wrong_fingerprint", "", []string{"trust", "@carol", "--fingerprint", "0000"}},
		{"inspect", "", []string{"inspect", fakeID}},
		{"inspect_not_found", "", []string{"inspect", "ff"}},
		{"unknown_command", "", []string{"frobnicate"}},
		{"unknown_flag", "", []string{"send", "--loud", "@alice", "hi"}},
		{"version", "", []string{"version"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, sock := newFake(t)
			code, out, errs := runCLI(t, sock, tc.stdin, tc.args...)
			golden(t, tc.name, code, out, errs)
		})
	}
}
