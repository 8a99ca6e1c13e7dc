package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/securep2p/securep2p/daemon/api"
)

// TestRelayKeyMismatchRefused is scenario 5: a relay with a different key
// appears at the address alice's daemon pinned (trust on first use): the
// daemon refuses it, and p2pctl status says why. A daemon started with
// --relay-key of the first relay refuses the second one too.
func TestRelayKeyMismatchRefused(t *testing.T) {
	first := startRelay(t)
	alice := startDaemon(t, "alice", first.addr)
	alice.waitLink(t, time.Minute, api.LinkLoggedOut)
	alice.register(t, "alice")
	alice.waitLink(t, time.Minute, api.LinkConnected)
	pinned := ctlJSON[api.StatusResult](t, alice, "", "status").Relay.KeyFingerprint
	first.stop()
	impostor := startRelayAt(t, t.TempDir(), first.addr)
	if impostor.key == first.key {
		t.Fatal("the second relay has the first one's key")
	}
	st := alice.waitLink(t, time.Minute, api.LinkKeyMismatch)
	if st.Relay.LastError == nil || st.Relay.LastError.Code != api.CodeRelayKeyMismatch || st.Relay.KeyFingerprint != pinned {
		t.Fatalf("status after the key change: relay %+v, want last_error relay_key_mismatch and the old pin %q", st.Relay, pinned)
	}
	js := ctlJSON[api.StatusResult](t, alice, "", "status")
	if js.Relay.State != api.LinkKeyMismatch {
		t.Fatalf("p2pctl --json status: relay state %q, want %q", js.Relay.State, api.LinkKeyMismatch)
	}
	human := alice.ctlOK(t, "", "status")
	if !strings.Contains(human.Stdout, string(api.LinkKeyMismatch)) || !strings.Contains(human.Stderr, "relay's key differs from the pinned one") {
		t.Fatalf("p2pctl status does not say why:\n%v", human)
	}

	carol := startDaemon(t, "carol", impostor.addr, "--relay-key", first.key)
	carol.waitLink(t, time.Minute, api.LinkKeyMismatch)
	r := carol.ctl(t, password("carol")+"\n", "--json", "register", "carol", "--password-stdin")
	if r.Code != api.ExitKeyChanged || decodeJSON[api.ErrorResponse](t, r.Stdout).Error.Code != api.CodeRelayKeyMismatch {
		t.Fatalf("register through a relay with the wrong key: %v\nwant exit %d and relay_key_mismatch", r, api.ExitKeyChanged)
	}
}
