package control

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/client"
)

// TestOverflowEventsDecodeInClient checks that both overflow events the
// server writes are accepted by the client's stream parser and tell it where
// to resume (a cursor of 0 or a missing Resume would make consumers lose
// events or reject the line).
func TestOverflowEventsDecodeInClient(t *testing.T) {
	for _, tc := range []struct {
		name                          string
		ev                            api.Event
		wantCursor, wantResume, since uint64
	}{
		{"slow_consumer", overflow(api.OverflowSlowConsumer, 40, 3, 17), 40, 17, 17},
		{"truncated", overflow(api.OverflowTruncated, 9, 10, 2), 9, 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line, err := json.Marshal(tc.ev)
			if err != nil {
				t.Fatal(err)
			}
			got, err := client.DecodeEvent(line)
			if err != nil {
				t.Fatalf("client refused the overflow event %s: %v", line, err)
			}
			if got.Cursor != tc.wantCursor || got.Overflow == nil || got.Overflow.Resume != tc.wantResume {
				t.Fatalf("decoded %+v, want cursor %d resume %d", got, tc.wantCursor, tc.wantResume)
			}
			if got.Cursor <= tc.since {
				t.Fatalf("cursor %d does not sort after the consumer's cursor %d", got.Cursor, tc.since)
			}
		})
	}
}

// TestSSEOverflowIDIsResume: in SSE the overflow event's id is the cursor
// to resume from, so an EventSource reconnecting with Last-Event-ID (which
// browsers do by themselves) does not skip the events it missed; other
// events keep their cursor as id.
func TestSSEOverflowIDIsResume(t *testing.T) {
	rec := httptest.NewRecorder()
	st := &eventStream{w: rec, rc: http.NewResponseController(rec), sse: true}
	if err := st.write(api.Event{Cursor: 17, Type: api.EventConnection, Connection: &api.ConnectionEvent{State: api.LinkConnected}}); err != nil {
		t.Fatal(err)
	}
	if err := st.write(overflow(api.OverflowSlowConsumer, 40, 3, 17)); err != nil {
		t.Fatal(err)
	}
	body := rec.Body.String()
	if !strings.Contains(body, "id: 17\nevent: connection\n") || !strings.Contains(body, "id: 17\nevent: overflow\n") {
		t.Fatalf("SSE stream:\n%s\nwant the overflow's id to be its resume cursor 17", body)
	}
	if strings.Contains(body, "id: 40") {
		t.Fatalf("SSE stream:\n%s\nthe overflow's newest cursor 40 is its id", body)
	}
}

// TestSlowBodyRefused: a client that sends its headers and then trickles
// (here: withholds) its body gets an error once the body timeout passed,
// instead of holding the connection for ever.
func TestSlowBodyRefused(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "p2pd.sock")
	ln, err := Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = New(Config{bodyTimeout: 100 * time.Millisecond}).Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, "POST /v1/send HTTP/1.1\r\nHost: p2pd\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to a withheld body: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "did not arrive") {
		t.Fatalf("status %d, body %s; want 400 naming the body timeout", resp.StatusCode, body)
	}
}
