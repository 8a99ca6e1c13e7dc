package integration

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/integration/faultproxy"
)

// TestTamperingRelayPathFailsClosed is scenario 7: the path between the
// daemons and the relay flips bytes, first in some datagrams (while
// messages flow), then in every one (until the connections die). Tampered
// data is never accepted: connections fail closed, the daemons reconnect
// once the path is clean, every message arrives exactly as sent, once.
func TestTamperingRelayPathFailsClosed(t *testing.T) {
	var proxy *faultproxy.Proxy
	p := startPair(t, func(r *relayNode) string {
		proxy = startProxy(t, r, faultproxy.Faults{}, faultproxy.Faults{})
		return proxy.Addr()
	})
	warmUp(t, p)
	cursor := ctlJSON[api.StatusResult](t, p.alice, "", "status").Cursor

	some := faultproxy.Faults{Flip: 0.2}
	proxy.SetFaults(faultproxy.Up, some)
	proxy.SetFaults(faultproxy.Down, some)
	var aSent, bSent []api.Message
	var wg sync.WaitGroup
	p.alice.sendAsync(t, &wg, "bob", numbered("tampered a->b", 0, tamperCount), &aSent)
	p.bob.sendAsync(t, &wg, "alice", numbered("tampered b->a", 0, tamperCount), &bSent)
	wg.Wait()

	all := faultproxy.Faults{Flip: 1}
	proxy.SetFaults(faultproxy.Up, all)
	proxy.SetFaults(faultproxy.Down, all)
	p.alice.waitFor(t, time.Minute, "the relay link to fail", func(ctx context.Context) (bool, error) {
		st, err := p.alice.c.Status(ctx, api.StatusParams{})
		return st.Relay.State != api.LinkConnected, err
	})
	proxy.SetFaults(faultproxy.Up, faultproxy.Faults{})
	proxy.SetFaults(faultproxy.Down, faultproxy.Faults{})
	p.alice.waitLink(t, time.Minute, api.LinkConnected)
	p.bob.waitLink(t, time.Minute, api.LinkConnected)

	if err := p.alice.awaitOutgoing(deliverTimeout, "bob", 1+tamperCount, api.StatusDelivered); err != nil {
		t.Error(err)
	}
	if err := p.bob.awaitOutgoing(deliverTimeout, "alice", 1+tamperCount, api.StatusDelivered); err != nil {
		t.Error(err)
	}
	aEnd, bEnd := p.alice.mustHistory(t, "bob"), p.bob.mustHistory(t, "alice")
	checkFlow(t, "alice->bob", aSent, nil, aEnd, bEnd)
	checkFlow(t, "bob->alice", bSent, nil, bEnd, aEnd)
	checkOnlySent(t, append(aSent, bSent...), aEnd, bEnd)
	checkReconnected(t, p.alice, cursor)
	if st := proxy.Stats(); st.Up.Flipped == 0 || st.Down.Flipped == 0 {
		t.Fatalf("the proxy flipped nothing in some direction: %+v", st)
	}
}

// checkOnlySent requires every message shown on either side to be one that
// was sent (or the warm-up), byte for byte: nothing corrupted is shown.
func checkOnlySent(t *testing.T, sent []api.Message, hs ...[]api.Message) {
	t.Helper()
	ok := map[string]string{}
	for _, m := range sent {
		ok[m.ID] = m.Text
	}
	for _, h := range hs {
		for _, m := range h {
			if want, known := ok[m.ID]; m.Text != "warm-up" && (!known || m.Text != want) {
				t.Errorf("shown message %s %q was never sent (or not with this text)", m.ID, m.Text)
			}
		}
	}
}

// checkReconnected requires d's event log after cursor to show the link
// leaving connected and coming back.
func checkReconnected(t *testing.T, d *daemonNode, cursor uint64) {
	t.Helper()
	ctx := stepCtx(t, time.Minute)
	w, err := d.c.Events(ctx, api.EventsParams{Since: &cursor})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	st, err := d.c.Status(ctx, api.StatusParams{})
	if err != nil {
		t.Fatal(err)
	}
	var states []api.LinkState
	for w.Cursor() < st.Cursor {
		ev, err := w.Next()
		if err != nil {
			t.Fatalf("events since %d: %v", cursor, err)
		}
		if ev.Type == api.EventConnection {
			states = append(states, ev.Connection.State)
		}
	}
	down := false
	for _, s := range states {
		down = down || s != api.LinkConnected
		if down && s == api.LinkConnected {
			t.Logf("%s link states: %v", d.name, states)
			return
		}
	}
	t.Fatalf("%s link states after the tampering started: %v; want a failure and a reconnection", d.name, states)
}
