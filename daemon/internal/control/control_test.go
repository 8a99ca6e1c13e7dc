package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/securep2p/securep2p/daemon/api"
)

func TestHandlersSorted(t *testing.T) {
	hs := (&Server{}).handlers()
	key := func(p string) string { f := strings.SplitN(p, " ", 2); return f[1] + " " + f[0] }
	if !sort.SliceIsSorted(hs, func(i, j int) bool { return key(hs[i].pattern) < key(hs[j].pattern) }) {
		t.Fatal("handler table is not sorted by path, then method")
	}
}

func TestHandlersMatchRoutes(t *testing.T) {
	var got, want []string
	for _, h := range (&Server{}).handlers() {
		got = append(got, h.pattern)
	}
	for _, r := range api.Routes {
		want = append(want, r.Pattern())
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("handlers %v\nroutes   %v", got, want)
	}
}

type apiErr struct {
	Error api.Error `json:"error"`
}

func TestRoundTripRegisterSendHistory(t *testing.T) {
	relay := startRelay(t)
	a, b := startDaemon(t, relay), startDaemon(t, relay)
	a.waitLinkUp()
	b.waitLinkUp()
	var acct api.AccountResult
	if s := a.do("POST", "/v1/register", `{"username":"alice","password":"correct horse"}`, &acct); s != 200 || acct.Username != "alice" {
		t.Fatalf("register: %d %+v", s, acct)
	}
	if s := b.do("POST", "/v1/register", `{"username":"@Bob","password":"correct horse"}`, &acct); s != 200 || acct.Username != "bob" {
		t.Fatalf("register: %d %+v", s, acct)
	}
	var sent api.SendResult
	if s := a.do("POST", "/v1/send", `{"to":"@bob","text":"hi bob","wait":"delivered","timeout_ms":30000}`, &sent); s != 200 {
		t.Fatalf("send: %d", s)
	}
	if sent.Message.Status != api.StatusDelivered || sent.Relay != api.LinkConnected {
		t.Fatalf("send result %+v", sent)
	}
	var mr api.MessageResult
	if s := a.do("GET", "/v1/messages/"+sent.Message.ID, "", &mr); s != 200 || mr.Message.ID != sent.Message.ID {
		t.Fatalf("message: %d %+v", s, mr)
	}
	var h api.HistoryResult
	if s := b.do("GET", "/v1/contacts/alice/history?limit=10", "", &h); s != 200 || len(h.Messages) != 1 || h.Messages[0].Text != "hi bob" {
		t.Fatalf("history: %d %+v", s, h)
	}
	var in api.InspectResult
	if s := b.do("GET", "/v1/messages/"+sent.Message.ID+"/inspect", "", &in); s != 200 || !in.Initial || in.MAC == "" {
		t.Fatalf("inspect: %d %+v", s, in)
	}
	var sn api.SafetyNumberResult
	b.do("GET", "/v1/contacts/alice/safety-number", "", &sn)
	var sn2 api.SafetyNumberResult
	a.do("GET", "/v1/contacts/bob/safety-number", "", &sn2)
	if sn.SafetyNumber == "" || sn.SafetyNumber != sn2.SafetyNumber {
		t.Fatalf("safety numbers differ: %q %q", sn.SafetyNumber, sn2.SafetyNumber)
	}
	var cr api.ContactResult
	if s := a.do("POST", "/v1/contacts/bob/verify", fmt.Sprintf(`{"safety_number":%q}`, sn.SafetyNumber), &cr); s != 200 || cr.Contact.Trust != api.TrustVerified {
		t.Fatalf("verify: %d %+v", s, cr)
	}
}

func TestErrorUnknownRoute(t *testing.T) {
	d := startDaemon(t, "127.0.0.1:9")
	var e apiErr
	if s := d.do("GET", "/v2/nothing", "", &e); s != 404 || e.Error.Code != api.CodeUnknownRoute {
		t.Fatalf("%d %+v", s, e)
	}
}

func TestErrorMethodNotAllowed(t *testing.T) {
	d := startDaemon(t, "127.0.0.1:9")
	var e apiErr
	if s := d.do("DELETE", "/v1/status", "", &e); s != 405 || e.Error.Code != api.CodeMethodNotAllowed {
		t.Fatalf("%d %+v", s, e)
	}
}

func TestErrorMalformedJSON(t *testing.T) {
	d := startDaemon(t, "127.0.0.1:9")
	var e apiErr
	if s := d.do("POST", "/v1/send", `{"to":`, &e); s != 400 || e.Error.Code != api.CodeBadRequest {
		t.Fatalf("%d %+v", s, e)
	}
}

func TestErrorUnknownField(t *testing.T) {
	d := startDaemon(t, "127.0.0.1:9")
	var e apiErr
	if s := d.do("POST", "/v1/send", `{"to":"bob","text":"x","extra":1}`, &e); s != 400 || e.Error.Code != api.CodeBadRequest {
		t.Fatalf("%d %+v", s, e)
	}
}

func TestPasswordNotEchoedInError(t *testing.T) {
	d := startDaemon(t, "127.0.0.1:9")
	var e apiErr
	d.do("POST", "/v1/login", `{"username":"alice","password":12345678}`, &e)
	if e.Error.Code != api.CodeBadRequest || strings.Contains(e.Error.Message, "12345678") {
		t.Fatalf("%+v", e)
	}
}

func TestSendNotLoggedInOverSocket(t *testing.T) {
	d := startDaemon(t, "127.0.0.1:9")
	var e apiErr
	if s := d.do("POST", "/v1/send", `{"to":"bob","text":"x"}`, &e); s != 401 || e.Error.Code != api.CodeNotLoggedIn {
		t.Fatalf("%d %+v", s, e)
	}
}

func TestOriginRefused(t *testing.T) {
	d := startDaemon(t, "127.0.0.1:9")
	req := httpReq("GET", "/v1/status")
	req.Header.Set("Origin", "http://evil.example")
	resp, err := d.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("status %d, want 403", resp.StatusCode)
	}
}

func TestForeignHostRefused(t *testing.T) {
	d := startDaemon(t, "127.0.0.1:9")
	req := httpReq("GET", "/v1/status")
	req.Host = "evil.example"
	resp, err := d.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("status %d, want 403", resp.StatusCode)
	}
}

func TestSocketModes(t *testing.T) {
	d := startDaemon(t, "127.0.0.1:9")
	fi, err := os.Stat(d.sock)
	if err != nil {
		t.Fatal(err)
	}
	di, _ := os.Stat(filepath.Dir(d.sock))
	if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
		t.Fatalf("socket %v dir %v", fi.Mode().Perm(), di.Mode().Perm())
	}
}

func TestListenRefusesLiveDaemon(t *testing.T) {
	d := startDaemon(t, "127.0.0.1:9")
	if _, err := Listen(d.sock); !errors.Is(err, ErrDaemonRunning) {
		t.Fatalf("err %v, want ErrDaemonRunning", err)
	}
}

func TestListenRemovesStaleSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p2pd.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close() // the file stays, nobody answers
	ln2, err := Listen(path)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	ln2.Close()
}

func TestListenKeepsNonSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p2pd.sock")
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(path); err == nil {
		t.Fatal("Listen replaced a regular file")
	}
}

func TestEventsCursorResume(t *testing.T) {
	relay := startRelay(t)
	a, b := startDaemon(t, relay), startDaemon(t, relay)
	a.waitLinkUp()
	b.waitLinkUp()
	a.do("POST", "/v1/register", `{"username":"alice","password":"correct horse"}`, nil)
	b.do("POST", "/v1/register", `{"username":"bob","password":"correct horse"}`, nil)
	var st api.StatusResult
	b.do("GET", "/v1/status", "", &st)
	ev := b.events(fmt.Sprintf("?since=%d", st.Cursor))
	a.do("POST", "/v1/send", `{"to":"bob","text":"one","wait":"sent"}`, nil)
	first := ev.nextMessage(t)
	if first.Message.Text != "one" {
		t.Fatalf("first event %+v", first)
	}
	ev.resp.Body.Close() // disconnect; two more arrive meanwhile
	a.do("POST", "/v1/send", `{"to":"bob","text":"two","wait":"delivered"}`, nil)
	a.do("POST", "/v1/send", `{"to":"bob","text":"three","wait":"delivered"}`, nil)
	again := b.events(fmt.Sprintf("?since=%d", first.Cursor))
	defer again.resp.Body.Close()
	two, three := again.nextMessage(t), again.nextMessage(t)
	if two.Message.Text != "two" || three.Message.Text != "three" || two.Cursor <= first.Cursor || three.Cursor <= two.Cursor {
		t.Fatalf("resumed events %+v %+v", two, three)
	}
}

func TestEventsBadCursor(t *testing.T) {
	d := startDaemon(t, "127.0.0.1:9")
	var e apiErr
	if s := d.do("GET", "/v1/events?since=999999", "", &e); s != 400 || e.Error.Code != api.CodeBadCursor {
		t.Fatalf("%d %+v", s, e)
	}
}

// nextMessage returns the next message event.
func (r *eventReader) nextMessage(t *testing.T) api.Event {
	t.Helper()
	for r.sc.Scan() {
		var ev api.Event
		if err := json.Unmarshal(r.sc.Bytes(), &ev); err != nil {
			t.Fatalf("event line %q: %v", r.sc.Bytes(), err)
		}
		if ev.Type == api.EventMessage {
			return ev
		}
	}
	t.Fatalf("stream ended: %v", r.sc.Err())
	return api.Event{}
}
