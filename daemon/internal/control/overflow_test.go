package control

import (
	"encoding/json"
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
