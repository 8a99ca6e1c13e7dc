package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/securep2p/securep2p/daemon/api"
)

// cliCase is one bad command line and what p2pctl must answer.
type cliCase struct {
	name   string
	on     string // which daemon: "alice" (logged in), "carol" (logged out), "none" (no daemon)
	stdin  string
	args   []string
	exit   int
	stderr string   // a substring of the message on stderr (p2pctl's own checks)
	code   api.Code // with --json: the error code printed on stdout, whose hint must be on stderr ("" = not checked)
}

// cliCases is the table of bad input and its documented exit codes
// (ctl/README.md, api.Codes).
var cliCases = []cliCase{
	{"no command", "alice", "", nil, api.ExitUsage, "no command given", ""},
	{"unknown command", "alice", "", []string{"frobnicate"}, api.ExitUsage, `unknown command "frobnicate"`, ""},
	{"unknown flag", "alice", "", []string{"send", "@bob", "hi", "--loud"}, api.ExitUsage, "flag provided but not defined: -loud", ""},
	{"send without text", "alice", "", []string{"send", "@bob"}, api.ExitUsage, "wrong number of arguments", ""},
	{"send empty text", "alice", "", []string{"--json", "send", "@bob", ""}, api.ExitUsage, "the message is empty", api.CodeEmptyMessage},
	{"send blank text", "alice", "", []string{"send", "@bob", "   "}, api.ExitUsage, "the message is empty", ""},
	{"send oversized text", "alice", strings.Repeat("x", api.MaxTextBytes+1), []string{"--json", "send", "@bob", "-"}, api.ExitUsage, "longer than 16384 bytes", api.CodeMessageTooLarge},
	{"send invalid utf-8", "alice", "\xff\xfe", []string{"send", "@bob", "-"}, api.ExitUsage, "not valid UTF-8", ""},
	{"send bad wait", "alice", "", []string{"send", "@bob", "hi", "--wait", "soon"}, api.ExitUsage, "--wait must be sent, delivered or read", ""},
	{"send timeout without wait", "alice", "", []string{"send", "@bob", "hi", "--timeout", "5s"}, api.ExitUsage, "--timeout needs --wait", ""},
	{"send bad username", "alice", "", []string{"--json", "send", "@No Such!", "hi"}, api.ExitUsage, "", api.CodeBadUsername},
	{"send unknown user", "alice", "", []string{"--json", "send", "@nobody", "hi"}, api.ExitNotFound, "", api.CodeUnknownUser},
	{"send logged out", "carol", "", []string{"--json", "send", "@bob", "hi"}, api.ExitAuth, "", api.CodeNotLoggedIn},
	{"watch bad since", "alice", "", []string{"watch", "--since", "abc"}, api.ExitUsage, "--since must be a cursor", ""},
	{"watch future cursor", "alice", "", []string{"--json", "watch", "--since", "999999999"}, api.ExitUsage, "", api.CodeBadCursor},
	{"history bad limit", "alice", "", []string{"history", "@bob", "--limit", "501"}, api.ExitUsage, "--limit must be between", ""},
	{"history unknown contact", "alice", "", []string{"--json", "history", "@nobody"}, api.ExitNotFound, "", api.CodeNotFound},
	{"inspect unknown id", "alice", "", []string{"--json", "inspect", strings.Repeat("0", api.MessageIDLen)}, api.ExitNotFound, "", api.CodeNotFound},
	{"verify unknown contact", "alice", "", []string{"--json", "verify", "@nobody"}, api.ExitNotFound, "", api.CodeNotFound},
	{"register bad username", "carol", "carol-integration-pw\n", []string{"--json", "register", "A!", "--password-stdin"}, api.ExitUsage, "", api.CodeBadUsername},
	{"register short password", "carol", "short\n", []string{"--json", "register", "carol", "--password-stdin"}, api.ExitUsage, "", api.CodeBadPassword},
	{"register empty password", "carol", "\n", []string{"register", "carol", "--password-stdin"}, api.ExitUsage, "empty password", ""},
	{"register taken", "carol", "bob-integration-pw\n", []string{"--json", "register", "bob", "--password-stdin"}, api.ExitConflict, "", api.CodeUsernameTaken},
	{"login wrong password", "carol", "not-bobs-password\n", []string{"--json", "login", "bob", "--password-stdin"}, api.ExitAuth, "", api.CodeAuthFailed},
	{"login while logged in", "alice", "alice-integration-pw\n", []string{"--json", "login", "alice", "--password-stdin"}, api.ExitConflict, "", api.CodeAlreadyLoggedIn},
	{"daemon not running", "none", "", []string{"--json", "status"}, api.ExitNotRunning, "", api.CodeDaemonNotRunning},
}

// TestCLIBadInputExitCodes is scenario 9: each bad command line gets its
// documented exit code and message (and, with --json, the error shape on
// stdout), against real daemons.
func TestCLIBadInputExitCodes(t *testing.T) {
	p := startPair(t, nil)
	carol := startDaemon(t, "carol", p.relay.addr)
	carol.waitLink(t, time.Minute, api.LinkLoggedOut)
	sockets := map[string]string{"alice": p.alice.socket, "carol": carol.socket, "none": shortSocket(t)}
	for _, c := range cliCases {
		t.Run(c.name, func(t *testing.T) {
			r := runCtl(t, c.stdin, append([]string{"--socket", sockets[c.on]}, c.args...)...)
			if r.Code != c.exit || !strings.Contains(r.Stderr, c.stderr) || !strings.HasPrefix(r.Stderr, "p2pctl: ") {
				t.Fatalf("p2pctl %q: %v\nwant exit %d and %q on stderr", c.args, r, c.exit, c.stderr)
			}
			if c.code != "" {
				if got := decodeJSON[api.ErrorResponse](t, r.Stdout).Error.Code; got != c.code {
					t.Fatalf("p2pctl %q: --json error code %q, want %q", c.args, got, c.code)
				}
				hint, _, _ := strings.Cut(api.Info(c.code).Hint, "@USER") // p2pctl fills in the user
				if !strings.Contains(r.Stderr, hint) {
					t.Fatalf("p2pctl %q: stderr lacks the hint %q:\n%v", c.args, hint, r)
				}
			}
		})
	}
}
