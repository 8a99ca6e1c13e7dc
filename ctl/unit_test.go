package ctl

import (
	"strings"
	"testing"

	"github.com/securep2p/securep2p/daemon/api"
)

func TestSafeEscapesTerminalControl(t *testing.T) {
	got := safe("a\x1b[2Jb\x07c\u202eD\r", "  ")
	if want := `a\u001b[2Jb\u0007c\u202eD\u000d`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSafeIndentsNewlines(t *testing.T) {
	if got := safe("one\ntwo", "    "); got != "one\n    two" {
		t.Errorf("got %q", got)
	}
}

func TestSafeInvalidUTF8(t *testing.T) {
	if got := safe("a\xffb", ""); got != `a\ufffdb` {
		t.Errorf("got %q", got)
	}
}

func TestFlagsAfterPositionals(t *testing.T) {
	c := &cli{}
	fs := sendFlags(c)
	pos, err := c.parseArgs("send", fs, []string{"@bob", "hi", "--wait", "sent", "there", "--json"}, 2, -1)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(pos, ",") != "@bob,hi,there" || fs.Lookup("wait").Value.String() != "sent" || !c.json {
		t.Errorf("pos %v wait %s json %v", pos, fs.Lookup("wait").Value, c.json)
	}
}

func TestFlagsDoubleDash(t *testing.T) {
	c := &cli{}
	pos, err := c.parseArgs("send", sendFlags(c), []string{"@bob", "--", "--wait", "-x"}, 2, -1)
	if err != nil || strings.Join(pos, ",") != "@bob,--wait,-x" {
		t.Errorf("pos %v, %v", pos, err)
	}
}

func TestPasswordStdinTooLong(t *testing.T) {
	_, err := readSecretLine(strings.NewReader(strings.Repeat("p", api.MaxPasswordBytes+10) + "\n"))
	if exitCode(err) != api.ExitUsage || strings.Contains(err.Error(), "ppp") {
		t.Errorf("got %v", err)
	}
}

func TestPasswordStdinFirstLineOnly(t *testing.T) {
	pw, err := readSecretLine(strings.NewReader("secret pw\r\nnext\n"))
	if err != nil || pw != "secret pw" {
		t.Errorf("got %q, %v", pw, err)
	}
}

func TestPasswordNeverPrinted(t *testing.T) {
	_, sock := newFake(t)
	for _, args := range [][]string{{"login", "bob", "--password-stdin"}, {"--json", "login", "bob", "--password-stdin"}} {
		_, out, errs := runCLI(t, sock, "wrong\n", args...)
		if strings.Contains(out+errs, "wrong\n") || strings.Contains(out+errs, `"wrong"`) {
			t.Errorf("%v: the password appears in the output: %q %q", args, out, errs)
		}
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, cmd := range commands {
		_, sock := newFake(t)
		code, out, _ := runCLI(t, sock, "", cmd.name, "--help")
		if code != 0 || !strings.HasPrefix(out, "usage: p2pctl "+cmd.name) {
			t.Errorf("%s --help: exit %d, %q", cmd.name, code, out)
		}
	}
}

// TestStatusHidesZeroUndecryptable: the undecryptable line appears only
// when some message could not be decrypted (the golden shows it).
func TestStatusHidesZeroUndecryptable(t *testing.T) {
	f, sock := newFake(t)
	f.mu.Lock()
	f.undec = 0
	f.mu.Unlock()
	code, out, _ := runCLI(t, sock, "", "status")
	if code != 0 || strings.Contains(out, "could not be decrypted") || !strings.Contains(out, "cursor:") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

// TestStatusShowsProtocol: a connection's protocol version is shown, with
// a note when the relay is older than the daemon.
func TestStatusShowsProtocol(t *testing.T) {
	for _, tc := range []struct {
		v    uint64
		want string
	}{{2, "protocol:    2\n"}, {1, "protocol:    1 (an older relay"}} {
		f, sock := newFake(t)
		f.mu.Lock()
		f.protocol = tc.v
		f.mu.Unlock()
		code, out, _ := runCLI(t, sock, "", "status")
		if code != 0 || !strings.Contains(out, tc.want) {
			t.Fatalf("protocol %d: exit %d, output:\n%s", tc.v, code, out)
		}
	}
}

// TestPrekeyIDNone: a one-time prekey ID of 0 (none used) renders as "-".
func TestPrekeyIDNone(t *testing.T) {
	if got := prekeyID(0); got != "-" {
		t.Fatalf("prekeyID(0) = %q", got)
	}
	if got := prekeyID(12); got != "id 12" {
		t.Fatalf("prekeyID(12) = %q", got)
	}
}
