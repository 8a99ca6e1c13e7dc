package control

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
