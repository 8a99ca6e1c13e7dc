package relay

import (
	"testing"

	"github.com/securep2p/securep2p/relay/relaytest/hopclient"
	"github.com/securep2p/securep2p/wire"
)

// TestKeyChangeEndsOtherSessions: a Login that rebinds the identity key
// ends the account's other open sessions with a fatal CodeKeyChanged, the
// router's target and an older one alike, so their daemons learn at once.
func TestKeyChangeEndsOtherSessions(t *testing.T) {
	r := startRelay(t, Config{})
	alice := hopclient.NewUser(t, "alice", 2)
	older := connectAs(t, r, alice, true)
	older.Sync()
	live := connectAs(t, r, alice, false) // the router's target now
	live.Sync()
	mallory := hopclient.NewUser(t, "alice", 1)
	c := dial(t, r)
	w := hopclient.MustWelcome(t, c.Call(&wire.Frame{Login: &wire.Login{Username: "alice", Password: alice.Password,
		IdentityKey: mallory.IDKey(), SignedPrekey: &mallory.SPK, OneTime: mallory.OPKs}}))
	if !w.KeyChanged {
		t.Fatal("Welcome.KeyChanged not set")
	}
	for name, old := range map[string]*client{"older": older, "live": live} {
		if code := closeCode(t, old.Conn); code != wire.CodeKeyChanged {
			t.Fatalf("%s session closed with %v, want %v", name, code, wire.CodeKeyChanged)
		}
		if got := fatalCode(old.Closed()); got != wire.CodeKeyChanged {
			t.Fatalf("%s session's last frame has code %v, want a fatal %v", name, got, wire.CodeKeyChanged)
		}
	}
	c.Sync() // the new login's session is still open
}

// TestLoginSameKeyKeepsOtherSessions: a Login with the bound key changes
// nothing for the account's other sessions.
func TestLoginSameKeyKeepsOtherSessions(t *testing.T) {
	r := startRelay(t, Config{})
	alice := hopclient.NewUser(t, "alice", 2)
	older := connectAs(t, r, alice, true)
	older.Sync()
	c := dial(t, r)
	w := hopclient.MustWelcome(t, c.Call(&wire.Frame{Login: &wire.Login{Username: "alice", Password: alice.Password,
		IdentityKey: alice.IDKey()}}))
	if w.KeyChanged {
		t.Fatal("Welcome.KeyChanged set for the bound key")
	}
	if f := older.Call(&wire.Frame{FetchBundle: &wire.FetchBundle{Username: "alice"}}); f.Bundle == nil {
		t.Fatalf("the older session no longer answers: %+v", f)
	}
}

// fatalCode is the code of the fatal Error (no Req, no ID) among frames.
func fatalCode(frames []*wire.Frame) wire.Code {
	for _, f := range frames {
		if f.Error != nil && f.Req == 0 && f.Error.ID == nil {
			return f.Error.Code
		}
	}
	return 0
}
