package control

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/securep2p/securep2p/daemon/internal/engine"
	"github.com/securep2p/securep2p/daemon/internal/store"
	"github.com/securep2p/securep2p/relay"
	"github.com/securep2p/securep2p/relay/relaytest"
)

func startRelay(t testing.TB) string {
	t.Helper()
	return relaytest.Start(t, relay.Config{AuthBurstPerAddr: 1000, AuthRatePerAddr: 1000}).Addr
}

// daemon is an engine plus this package's server on a real socket.
type daemon struct {
	t    testing.TB
	sock string
	hc   *http.Client
	stop func()
}

func startDaemon(t testing.TB, relayAddr string) *daemon {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{DB: db, RelayAddr: relayAddr, RetryEvery: 200 * time.Millisecond,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, PrekeyBatch: 10})
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "run", "p2pd.sock")
	ln, err := Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { _ = eng.Run(ctx); done <- struct{}{} }()
	go func() { _ = New(Config{Engine: eng}).Serve(ctx, ln); done <- struct{}{} }()
	d := &daemon{t: t, sock: sock, hc: unixClient(sock)}
	var stopped bool
	d.stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
			<-done
			_ = ln.Close()
			_ = db.Close()
		}
	}
	t.Cleanup(d.stop)
	return d
}

func unixClient(sock string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}}
}

// do sends a request and decodes the JSON answer into out; it returns the
// HTTP status.
func (d *daemon) do(method, path, body string, out any) int {
	d.t.Helper()
	req, _ := http.NewRequest(method, "http://localhost"+path, strings.NewReader(body))
	resp, err := d.hc.Do(req)
	if err != nil {
		d.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			d.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode
}

// waitLogin waits until the relay link is up, so register can be sent.
func (d *daemon) waitLinkUp() {
	d.t.Helper()
	for i := 0; i < 3000; i++ {
		var st struct {
			Relay struct{ State string } `json:"relay"`
		}
		d.do("GET", "/v1/status", "", &st)
		if st.Relay.State == "logged_out" || st.Relay.State == "connected" {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	d.t.Fatal("relay link never came up")
}

// eventReader reads NDJSON events from a stream.
type eventReader struct {
	resp *http.Response
	sc   *bufio.Scanner
}

func (d *daemon) events(query string) *eventReader {
	d.t.Helper()
	resp, err := d.hc.Get("http://localhost/v1/events" + query)
	if err != nil {
		d.t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		d.t.Fatalf("events status %d", resp.StatusCode)
	}
	return &eventReader{resp: resp, sc: bufio.NewScanner(resp.Body)}
}
