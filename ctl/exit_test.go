package ctl

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/securep2p/securep2p/daemon/api"
)

// TestExitCodes is the exit-code table: one bad input per row, each with its
// documented code.
func TestExitCodes(t *testing.T) {
	cases := []struct {
		name, stdin string
		setup       func(f *fakeDaemon)
		args        []string
		want        int
	}{
		{"ok", "", nil, []string{"send", "@alice", "hi"}, api.ExitOK},
		{"unknown command", "", nil, []string{"frobnicate"}, api.ExitUsage},
		{"unknown flag", "", nil, []string{"status", "--verbose"}, api.ExitUsage},
		{"missing argument", "", nil, []string{"send", "@alice"}, api.ExitUsage},
		{"empty message", "", nil, []string{"send", "@alice", " "}, api.ExitUsage},
		{"oversized message", strings.Repeat("é", api.MaxTextBytes), nil, []string{"send", "@alice", "-"}, api.ExitUsage},
		{"timeout without wait", "", nil, []string{"send", "@alice", "hi", "--timeout", "1s"}, api.ExitUsage},
		{"bad cursor flag", "", nil, []string{"watch", "--since", "-1"}, api.ExitUsage},
		{"not logged in", "", func(f *fakeDaemon) { f.loggedIn = false }, []string{"send", "@alice", "hi"}, api.ExitAuth},
		{"wrong password", "wrong\n", nil, []string{"login", "bob", "--password-stdin"}, api.ExitAuth},
		{"unknown user", "", nil, []string{"send", "@nobody", "hi"}, api.ExitNotFound},
		{"unknown message", "", nil, []string{"inspect", "ff"}, api.ExitNotFound},
		{"relay unreachable", "", func(f *fakeDaemon) { f.relay = api.LinkDisconnected }, []string{"send", "@alice", "hi"}, api.ExitRelayDown},
		{"relay unreachable wait", "", func(f *fakeDaemon) { f.relay = api.LinkDisconnected }, []string{"send", "@alice", "hi", "--wait", "sent"}, api.ExitRelayDown},
		{"wait timeout", "", nil, []string{"send", "@slow", "hi", "--wait", "sent"}, api.ExitTimeout},
		{"key change held", "", nil, []string{"send", "@held", "hi"}, api.ExitKeyChanged},
		{"trust mismatch", "", nil, []string{"trust", "@carol", "--fingerprint", "0"}, api.ExitKeyChanged},
		{"username taken", "password1\n", nil, []string{"register", "taken", "--password-stdin"}, api.ExitConflict},
		{"bad password", "short\n", nil, []string{"register", "newbie", "--password-stdin"}, api.ExitUsage},
		{"logout twice", "", func(f *fakeDaemon) { f.loggedIn = false }, []string{"logout"}, api.ExitAuth},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, sock := newFake(t)
			if tc.setup != nil {
				tc.setup(f)
			}
			code, _, errs := runCLI(t, sock, tc.stdin, tc.args...)
			if code != tc.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.want, errs)
			}
			if code != 0 && !strings.HasPrefix(errs, "p2pctl: ") {
				t.Errorf("a failure must explain itself on stderr, got %q", errs)
			}
		})
	}
}

func TestExitCodeDaemonNotRunning(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "absent.sock")
	code, _, errs := runCLI(t, sock, "", "status")
	if code != api.ExitNotRunning || !strings.Contains(errs, "p2pd is not running") || !strings.Contains(errs, "p2pd --relay HOST:PORT") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

// TestExitCodesDocumented checks that `p2pctl help` and README.md both list
// every exit code of api.Codes.
func TestExitCodesDocumented(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	codes := map[int]bool{api.ExitOK: true, api.ExitUsage: true, api.ExitInterrupted: true}
	for _, ci := range api.Codes {
		codes[ci.Exit] = true
	}
	for code := range codes {
		n := strconv.Itoa(code)
		if !regexp.MustCompile(`(?m)^  ` + n + ` +\S`).MatchString(exitCodeHelp) {
			t.Errorf("exit code %d missing from p2pctl help", code)
		}
		if !regexp.MustCompile(`(?m)^\| ` + n + ` \|`).Match(readme) {
			t.Errorf("exit code %d missing from README.md's table", code)
		}
	}
}
