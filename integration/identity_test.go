package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/securep2p/securep2p/daemon/api"
)

// startWatch runs `p2pctl --json watch --since cursor` against d as a
// process (its cleanup requires exit 0 on SIGTERM).
func (d *daemonNode) startWatch(t *testing.T, cursor uint64) *proc {
	t.Helper()
	return startProc(t, "p2pctl watch ["+d.name+"]", bins.ctl, "--socket", d.socket, "--json", "watch", "--since", fmt.Sprint(cursor))
}

// waitEvent waits for a --json watch line decoding to an event for which
// match is true.
func waitEvent(t *testing.T, w *proc, what string, match func(api.Event) bool) api.Event {
	t.Helper()
	var ev api.Event
	w.waitLineFunc(what, 0, func(line string) bool {
		var e api.Event
		if json.Unmarshal([]byte(line), &e) != nil || !match(e) {
			return false
		}
		ev = e
		return true
	})
	return ev
}

// TestIdentityChangeHeldUntilTrust is scenario 6: bob comes back with a new
// identity (fresh state directory, login). Alice, who had verified bob,
// gets a key-change event and a changed safety number, and her messages
// are held until `p2pctl trust @bob`; then they arrive, once.
func TestIdentityChangeHeldUntilTrust(t *testing.T) {
	p := startPair(t, nil)
	warmUp(t, p)
	p.alice.ctlOK(t, "", "verify", "--mark", "@bob")
	before := ctlJSON[api.SafetyNumberResult](t, p.alice, "", "verify", "@bob")
	if before.Trust != api.TrustVerified {
		t.Fatalf("after verify --mark: %+v", before)
	}
	watch := p.alice.startWatch(t, ctlJSON[api.StatusResult](t, p.alice, "", "status").Cursor)

	p.bob.stop()
	bob2 := startDaemon(t, "bob (new identity)", p.relay.addr)
	bob2.waitLink(t, time.Minute, api.LinkLoggedOut)
	if res := bob2.login(t, "bob"); !res.KeyChanged {
		t.Fatalf("login with a new identity: key_changed false: %+v", res)
	}
	bob2.waitLink(t, time.Minute, api.LinkConnected)

	first := p.alice.ctl(t, "", "--json", "send", "@bob", "held one")
	if first.Code != 0 && first.Code != api.ExitKeyChanged {
		t.Fatalf("first send after bob's key change: %v", first)
	}
	kc := waitEvent(t, watch, "a key_change event for bob", func(e api.Event) bool {
		return e.Type == api.EventKeyChange && e.KeyChange.User == "bob"
	})
	if !kc.KeyChange.WasVerified || kc.KeyChange.OldFingerprint == kc.KeyChange.NewFingerprint {
		t.Fatalf("key change event: %+v", kc.KeyChange)
	}
	second := p.alice.ctl(t, "", "send", "@bob", "held two")
	if second.Code != api.ExitKeyChanged || !strings.Contains(second.Stderr, "p2pctl trust @bob") {
		t.Fatalf("send to a verified contact whose key changed: %v\nwant exit %d and the trust hint", second, api.ExitKeyChanged)
	}
	p.alice.waitOutgoingStatus(t, "bob", api.StatusHeld, 2)
	checkHeldState(t, p.alice, before)
	if h := bob2.mustHistory(t, "alice"); len(h) != 0 {
		t.Fatalf("bob's new daemon shows %d messages from alice before she trusted the key", len(h))
	}

	tr := ctlJSON[api.TrustResult](t, p.alice, "", "trust", "@bob")
	if tr.Released != 2 || tr.Contact.KeyChanged {
		t.Fatalf("trust: %+v, want 2 released", tr)
	}
	p.alice.waitOutgoing(t, time.Minute, "bob", 3, api.StatusDelivered)
	h := bob2.waitIncoming(t, time.Minute, "alice", 2)
	if len(h) != 2 || h[0].Text != "held one" || h[1].Text != "held two" {
		t.Fatalf("bob's new daemon shows %+v, want the two held messages once each", h)
	}
	after := ctlJSON[api.SafetyNumberResult](t, p.alice, "", "verify", "@bob")
	if bobs := ctlJSON[api.SafetyNumberResult](t, bob2, "", "verify", "@alice"); bobs.SafetyNumber != after.SafetyNumber {
		t.Fatalf("after trust: alice sees %q, bob's new daemon %q", after.SafetyNumber, bobs.SafetyNumber)
	}
}

// checkHeldState checks alice's view while bob's new key is not trusted:
// a changed safety number and the key change in status.
func checkHeldState(t *testing.T, alice *daemonNode, before api.SafetyNumberResult) {
	t.Helper()
	sn := ctlJSON[api.SafetyNumberResult](t, alice, "", "verify", "@bob")
	if sn.SafetyNumber == before.SafetyNumber || !sn.KeyChanged || sn.TheirFingerprint == before.TheirFingerprint {
		t.Fatalf("safety number after bob's key change: %+v (before %q)", sn, before.SafetyNumber)
	}
	st := ctlJSON[api.StatusResult](t, alice, "", "status")
	if len(st.KeyChanges) != 1 || st.KeyChanges[0].User != "bob" || st.KeyChanges[0].Held != 2 || st.Outbox.Held != 2 {
		t.Fatalf("status while held: key_changes %+v, outbox %+v", st.KeyChanges, st.Outbox)
	}
}

// waitOutgoingStatus waits until n messages to peer have exactly status.
func (d *daemonNode) waitOutgoingStatus(t *testing.T, peer string, status api.Status, n int) {
	t.Helper()
	d.waitFor(t, time.Minute, itoa(n)+" messages to "+peer+" "+string(status), func(ctx context.Context) (bool, error) {
		h, err := d.history(ctx, peer)
		c := 0
		for _, m := range h {
			if m.Direction == api.DirectionOut && m.Status == status {
				c++
			}
		}
		return c >= n, err
	})
}
