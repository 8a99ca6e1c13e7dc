package api

import (
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"testing"
)

func TestCodesSorted(t *testing.T) {
	for i := 1; i < len(Codes); i++ {
		if Codes[i-1].Code >= Codes[i].Code {
			t.Errorf("Codes not sorted or duplicated at %q, %q", Codes[i-1].Code, Codes[i].Code)
		}
	}
}

func TestCodesComplete(t *testing.T) {
	for _, ci := range Codes {
		if ci.Exit < ExitError || ci.Exit > ExitMessageFailed {
			t.Errorf("%s: exit code %d outside the documented range", ci.Code, ci.Exit)
		}
		if ci.Hint == "" {
			t.Errorf("%s: no hint", ci.Code)
		}
		client := ci.Code == CodeDaemonNotRunning || ci.Code == CodeDaemonUnreachable
		if client != (ci.HTTPStatus == 0) {
			t.Errorf("%s: HTTP status %d (0 only for client-side codes)", ci.Code, ci.HTTPStatus)
		}
		if !client && (ci.HTTPStatus < 400 || ci.HTTPStatus > 599) {
			t.Errorf("%s: HTTP status %d is not an error status", ci.Code, ci.HTTPStatus)
		}
	}
}

// TestCodesDocumented checks that API.md's error table matches Codes row for
// row (code, HTTP status, exit code).
func TestCodesDocumented(t *testing.T) {
	b, err := os.ReadFile("API.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| (\\d+|—) \\| (\\d+) \\|")
	doc := map[Code][2]int{}
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		h, _ := strconv.Atoi(m[2]) // "—" -> 0
		e, _ := strconv.Atoi(m[3])
		doc[Code(m[1])] = [2]int{h, e}
	}
	for _, ci := range Codes {
		got, ok := doc[ci.Code]
		if !ok {
			t.Errorf("code %s not in API.md's error table", ci.Code)
			continue
		}
		if got != [2]int{ci.HTTPStatus, ci.Exit} {
			t.Errorf("code %s: API.md says HTTP %d exit %d, table says %d %d", ci.Code, got[0], got[1], ci.HTTPStatus, ci.Exit)
		}
		delete(doc, ci.Code)
	}
	for c := range doc {
		t.Errorf("API.md documents code %s, which is not in Codes", c)
	}
}

func TestInfoUnknownCode(t *testing.T) {
	ci := Info("from_the_future")
	if ci.Code != "from_the_future" || ci.Exit != ExitError || HTTPStatus("from_the_future") != 500 {
		t.Errorf("unknown code: %+v", ci)
	}
}

func TestExitCodeExamples(t *testing.T) {
	for c, want := range map[Code]int{
		CodeDaemonNotRunning: 3, CodeNotLoggedIn: 4, CodeAuthFailed: 4, CodeUnknownUser: 5,
		CodeRelayUnreachable: 6, CodeTimeout: 7, CodeKeyChanged: 8, CodeUsernameTaken: 9,
		CodeEmptyMessage: 2, CodeMessageTooLarge: 2, CodeInternal: 1,
	} {
		if got := ExitCode(c); got != want {
			t.Errorf("ExitCode(%s) = %d, want %d", c, got, want)
		}
	}
}

func TestErrorShape(t *testing.T) {
	b, err := json.Marshal(ErrorResponse{Error{Code: CodeNotLoggedIn, Message: "not logged in"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"error":{"code":"not_logged_in","message":"not logged in"}}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}
