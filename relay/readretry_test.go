package relay

import (
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/securep2p/securep2p/relay/relaytest/hopclient"
	"github.com/securep2p/securep2p/relay/store"
)

// flakyPending is a real bbolt store whose mailbox reads for one user fail
// while failures is above zero (a clustered store during a leader
// election).
type flakyPending struct {
	store.Store
	user     string
	failures atomic.Int64
	reads    atomic.Int64 // reads for user, failed ones included
}

var errUnavailable = errors.New("test: store unavailable")

func (f *flakyPending) Pending(username string, after uint64, now time.Time, max int) ([]store.Envelope, error) {
	if username == f.user {
		f.reads.Add(1)
		if f.failures.Add(-1) >= 0 {
			return nil, errUnavailable
		}
	}
	return f.Store.Pending(username, after, now, max)
}

// TestMailboxReadRetriedAfterFailure: when the mailbox read that follows a
// login fails, the relay reads again (backing off) instead of waiting for
// new mail: the recipient gets its stored envelope without any further
// event.
func TestMailboxReadRetriedAfterFailure(t *testing.T) {
	bolt, err := store.Open(filepath.Join(t.TempDir(), "relay.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bolt.Close() })
	bob := hopclient.NewUser(t, "bob", 0)
	st := &flakyPending{Store: bolt, user: bob.Name}
	r := startRelay(t, Config{Store: st})
	alice := hopclient.NewUser(t, "alice", 0)

	connectAs(t, r, bob, true).Conn.CloseWithError(0, "")
	id := connectAs(t, r, alice, true).SendOK(bob, "while the store fails")

	reads := st.reads.Load()
	// The reads after the login (one or two: the Welcome and the attach
	// wake) and at least the first retry fail.
	st.failures.Store(3)
	bc := connectAs(t, r, bob, false)
	f := bc.Next()
	if f.Deliver == nil || string(f.Deliver.ID) != string(id) {
		t.Fatalf("got %v, want the stored envelope's Deliver", f.Type())
	}
	if got := st.reads.Load() - reads; got < 4 {
		t.Fatalf("%d mailbox reads after the login, want 3 failed ones and the one delivered", got)
	}
}
