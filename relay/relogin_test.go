package relay

import (
	"bytes"
	"testing"

	"github.com/securep2p/securep2p/relay/relaytest/hopclient"
	"github.com/securep2p/securep2p/wire"
)

// TestLogoutLoginRedelivers: after Logout and a new login as the same user
// on the same connection, envelopes delivered but never acked are
// delivered again (the delivery cursor belongs to one login, not to the
// connection).
func TestLogoutLoginRedelivers(t *testing.T) {
	r := startRelay(t, Config{})
	bob := hopclient.NewUser(t, "bob", 0)
	connectAs(t, r, bob, true).Conn.CloseWithError(0, "")
	ac := connectAs(t, r, hopclient.NewUser(t, "alice", 0), true)
	ids := [][]byte{ac.SendOK(bob, "one"), ac.SendOK(bob, "two")}
	bc := connectAs(t, r, bob, false)
	first := bc.Sync()
	if len(first) != 2 {
		t.Fatalf("first login: %d deliveries, want 2", len(first))
	}
	if f := bc.Call(&wire.Frame{Logout: &wire.Logout{}}); f.OK == nil {
		t.Fatalf("logout: %v", f.Type())
	}
	hopclient.MustWelcome(t, bc.Resume(bob))
	again := bc.Sync()
	if len(again) != 2 {
		t.Fatalf("after logout and login: %d deliveries, want the 2 unacked again", len(again))
	}
	for i, f := range again {
		if f.Deliver == nil || !bytes.Equal(f.Deliver.ID, ids[i]) {
			t.Fatalf("redelivery %d: %v", i, f.Type())
		}
	}
}
