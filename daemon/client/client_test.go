package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/securep2p/securep2p/daemon/api"
)

func TestErrorDecoding(t *testing.T) {
	path := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, api.CodeNotLoggedIn, "not logged in")
	}))
	_, err := (&Client{Socket: path}).Status(context.Background(), api.StatusParams{})
	var e *Error
	if !errors.As(err, &e) || e.Code != api.CodeNotLoggedIn || e.HTTPStatus != 401 || e.Message != "not logged in" {
		t.Fatalf("got %#v", err)
	}
	if !IsNotLoggedIn(err) || IsNotRunning(err) || ExitCode(err) != api.ExitAuth {
		t.Errorf("helpers disagree on %v", err)
	}
}

func TestErrorDecodingMessageID(t *testing.T) {
	path := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 504, api.ErrorResponse{Error: api.Error{Code: api.CodeTimeout, Message: "timed out", MessageID: "00112233445566778899aabbccddeeff"}})
	}))
	_, err := (&Client{Socket: path}).Send(context.Background(), api.SendParams{To: "a", Text: "x", Wait: api.StatusSent})
	var e *Error
	if !errors.As(err, &e) || !IsTimeout(err) || e.MessageID != "00112233445566778899aabbccddeeff" || ExitCode(err) != 7 {
		t.Fatalf("got %#v", err)
	}
}

func TestErrorNotAPIBody(t *testing.T) {
	path := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "<html>bad gateway</html>", 502)
	}))
	_, err := (&Client{Socket: path}).Status(context.Background(), api.StatusParams{})
	if CodeOf(err) != api.CodeDaemonUnreachable || ExitCode(err) != api.ExitNotRunning {
		t.Fatalf("got %v (code %q)", err, CodeOf(err))
	}
}

func TestErrorMalformedSuccessBody(t *testing.T) {
	path := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"daemon_version":`))
	}))
	_, err := (&Client{Socket: path}).Status(context.Background(), api.StatusParams{})
	if CodeOf(err) != api.CodeDaemonUnreachable {
		t.Fatalf("got %v", err)
	}
}

func TestNotRunningNoSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nothing.sock")
	_, err := (&Client{Socket: path}).Status(context.Background(), api.StatusParams{})
	if !IsNotRunning(err) || ExitCode(err) != 3 || !strings.Contains(err.Error(), path) {
		t.Fatalf("got %v", err)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the dial error is not wrapped: %v", err)
	}
}

func TestNotRunningStaleSocket(t *testing.T) {
	dir, err := os.MkdirTemp("", "p2pc")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "stale.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	_, err = (&Client{Socket: path}).Status(context.Background(), api.StatusParams{})
	if !IsNotRunning(err) || !strings.Contains(err.Error(), "stale") {
		t.Fatalf("got %v", err)
	}
}

func TestZeroValueClientUsesDefaultSocket(t *testing.T) {
	runtime, err := os.MkdirTemp("", "p2pr")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(runtime)
	os.Mkdir(filepath.Join(runtime, api.AppDir), 0o700)
	t.Setenv("XDG_RUNTIME_DIR", runtime)
	want, _ := api.DefaultSocketPath()
	ln, err := net.Listen("unix", want)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, api.StatusResult{APIVersion: "v1", Username: "bob"})
	})}
	go srv.Serve(ln)
	defer srv.Close()
	var c Client
	st, err := c.Status(context.Background(), api.StatusParams{})
	if err != nil || st.Username != "bob" {
		t.Fatalf("got %+v, %v", st, err)
	}
}

func TestSendRequestEncoding(t *testing.T) {
	var got api.SendParams
	var method, path, host, ctype string
	sock := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, path, host, ctype = r.Method, r.URL.Path, r.Host, r.Header.Get("Content-Type")
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&got); err != nil {
			writeError(w, api.CodeBadRequest, err.Error())
			return
		}
		writeJSON(w, 200, api.SendResult{Message: api.Message{ID: "ab", Status: api.StatusQueued}, Relay: api.LinkConnected})
	}))
	res, err := (&Client{Socket: sock}).Send(context.Background(), api.SendParams{To: "alice", Text: "hi \"there\"", Wait: api.StatusSent, TimeoutMS: 500})
	if err != nil {
		t.Fatal(err)
	}
	if method != "POST" || path != "/v1/send" || host != api.Host || ctype != api.ContentTypeJSON {
		t.Errorf("request %s %s host %q type %q", method, path, host, ctype)
	}
	if got != (api.SendParams{To: "alice", Text: "hi \"there\"", Wait: api.StatusSent, TimeoutMS: 500}) {
		t.Errorf("body decoded to %+v", got)
	}
	if res.Message.ID != "ab" || res.Relay != api.LinkConnected {
		t.Errorf("result %+v", res)
	}
}

func TestPathAndQueryEncoding(t *testing.T) {
	var uri string
	sock := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uri = r.RequestURI
		writeJSON(w, 200, api.HistoryResult{User: r.PathValue("user")})
	}))
	c := &Client{Socket: sock}
	if _, err := c.History(context.Background(), api.HistoryParams{User: "al/ice?", Limit: 10, Before: 7}); err != nil {
		t.Fatal(err)
	}
	if uri != "/v1/contacts/al%2Fice%3F/history?before=7&limit=10" {
		t.Errorf("request URI %q", uri)
	}
	if _, err := c.History(context.Background(), api.HistoryParams{User: "bob"}); err != nil {
		t.Fatal(err)
	}
	if uri != "/v1/contacts/bob/history" {
		t.Errorf("zero query values sent: %q", uri)
	}
}

func TestMissingPathParam(t *testing.T) {
	_, err := (&Client{Socket: "/nonexistent"}).Message(context.Background(), api.MessageParams{})
	if CodeOf(err) != api.CodeBadRequest {
		t.Fatalf("got %v", err)
	}
}

// TestClientCoversRoutes calls every method against a mux built from
// api.Routes and checks every route was hit exactly by its pattern.
func TestClientCoversRoutes(t *testing.T) {
	hit := map[string]bool{}
	mux := http.NewServeMux()
	for _, r := range api.Routes {
		mux.HandleFunc(r.Pattern(), func(w http.ResponseWriter, req *http.Request) {
			hit[r.Pattern()] = true
			if r.Stream {
				w.Header().Set("Content-Type", api.ContentTypeNDJSON)
				return
			}
			writeJSON(w, 200, map[string]any{})
		})
	}
	c := &Client{Socket: serve(t, mux)}
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Error(err)
		}
	}
	must(c.Contacts(ctx, api.ContactsParams{}))
	must(c.Contact(ctx, api.ContactParams{User: "a"}))
	must(c.History(ctx, api.HistoryParams{User: "a"}))
	must(c.SafetyNumber(ctx, api.SafetyNumberParams{User: "a"}))
	must(c.ContactSettings(ctx, api.ContactSettingsParams{User: "a"}))
	must(c.Trust(ctx, api.TrustParams{User: "a"}))
	must(c.Verify(ctx, api.VerifyParams{User: "a"}))
	must(c.Login(ctx, api.LoginParams{}))
	must(c.Logout(ctx, api.LogoutParams{}))
	must(c.Message(ctx, api.MessageParams{ID: "1"}))
	must(c.Inspect(ctx, api.InspectParams{ID: "1"}))
	must(c.Register(ctx, api.RegisterParams{}))
	must(c.Send(ctx, api.SendParams{}))
	must(c.Status(ctx, api.StatusParams{}))
	w, err := c.Events(ctx, api.EventsParams{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Next(); err != io.EOF {
		t.Errorf("empty stream: got %v, want io.EOF", err)
	}
	w.Close()
	var missing []string
	for _, r := range api.Routes {
		if !hit[r.Pattern()] {
			missing = append(missing, r.Pattern())
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("routes without a client method: %v", missing)
	}
}

func TestContextCancelsCall(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	sock := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := (&Client{Socket: sock}).Status(ctx, api.StatusParams{})
		errc <- err
	}()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}
