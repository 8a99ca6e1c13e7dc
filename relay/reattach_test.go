package relay

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/securep2p/securep2p/relay/relaytest/hopclient"
	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/hop"
)

// Redelivery when a recipient's connection is replaced: envelopes pushed
// to the old connection and held for its Ack are written to the mailbox
// after AckWait, possibly after the new connection delivered later ones.
// The new connection must still get every envelope, once, in order, and
// the old one must stop delivering (router.go, deliver.go).

// dialOwn dials r from a UDP socket the test owns, with conf, and runs the
// hop handshake. The client's reader starts only when read is set.
func dialOwn(t *testing.T, r *testRelay, conf *quic.Config, read bool) (*client, net.PacketConn) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	raddr, err := net.ResolveUDPAddr("udp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := quic.Dial(ctx, pc, raddr, hop.ClientTLSConfig(), conf)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.CloseWithError(0, "") })
	st, err := conn.OpenStreamSync(ctx)
	if err != nil {
		t.Fatalf("open stream: %v", err)
	}
	binding, err := hop.Binding(conn.ConnectionState().TLS)
	if err != nil {
		t.Fatal(err)
	}
	hc, err := hop.Client(ctx, st, binding, r.srv.PublicKey())
	if err != nil {
		t.Fatalf("hop handshake: %v", err)
	}
	c := hopclient.New(t, conn, st, hc)
	if read {
		go c.ReadLoop()
	}
	return c, pc
}

// sendBurst sends n envelopes to u without waiting and returns their ids.
func sendBurst(c *client, u *user, n int) [][]byte {
	var ids [][]byte
	for range n {
		id := hopclient.NewMsgID()
		c.Send(id, u, "m")
		ids = append(ids, id)
	}
	return ids
}

// receiveInOrder reads ids in order on c, acking each.
func receiveInOrder(t *testing.T, c *client, ids [][]byte) {
	t.Helper()
	for i, id := range ids {
		f := c.Next()
		if f.Deliver == nil || !bytes.Equal(f.Deliver.ID, id) {
			t.Fatalf("frame %d of %d: got %v (id %x), want Deliver of %x", i, len(ids), f.Type(), deliverID(f), id)
		}
		c.Write(&wire.Frame{Ack: &wire.Ack{ID: id}})
	}
}

func deliverID(f *wire.Frame) []byte {
	if f.Deliver == nil {
		return nil
	}
	return f.Deliver.ID
}

// allAccepted reads Accepted frames on c until each of ids (distinct) was
// accepted once, in any order and however many per frame.
func allAccepted(t *testing.T, c *client, ids [][]byte) {
	t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[string(id)] = true
	}
	for len(want) > 0 {
		f := c.Next()
		got := hopclient.AcceptedIDs(f)
		if got == nil {
			t.Fatalf("got %v %v, want Accepted of some of %d ids", f.Type(), hopclient.ErrCode(f), len(want))
		}
		for _, id := range got {
			if !want[string(id)] {
				t.Fatalf("Accepted of %x: not sent or accepted twice", id)
			}
			delete(want, string(id))
		}
	}
}

// noDeliver fails when frames hold a Deliver (a second delivery).
func noDeliver(t *testing.T, frames []*wire.Frame) {
	t.Helper()
	for _, f := range frames {
		if f.Deliver != nil {
			t.Fatalf("delivered again: %x", f.Deliver.ID)
		}
	}
}

// TestRedeliverAfterRecipientVanishes: the recipient's daemon dies without
// closing its connection (its socket is gone, like after SIGKILL) while
// envelopes are pushed to it; a new connection resumes while they are
// still held, and more are sent. Every envelope arrives on the new
// connection exactly once, in send order.
func TestRedeliverAfterRecipientVanishes(t *testing.T) {
	r := heldRelay(t, time.Second)
	bob := hopclient.NewUser(t, "bob", 0)
	gone, sock := dialOwn(t, r, &quic.Config{MaxIdleTimeout: 30 * time.Second}, true)
	hopclient.MustWelcome(t, gone.Register(bob))
	ac := connectAs(t, r, hopclient.NewUser(t, "alice", 0), true)
	sock.Close() // the daemon vanishes: no CONNECTION_CLOSE, no more reads or acks
	ids := sendBurst(ac, bob, 10)
	bc := connectAs(t, r, bob, false)
	ids = append(ids, sendBurst(ac, bob, 10)...)
	receiveInOrder(t, bc, ids)
	allAccepted(t, ac, ids)
	noDeliver(t, bc.Sync())
}

// bobAndAlice runs a relay whose pushes wait a second for the Ack, with
// bob (his first connection, old) and alice (ac) connected.
func bobAndAlice(t *testing.T) (r *testRelay, bob *user, old, ac *client) {
	t.Helper()
	r = heldRelay(t, time.Second)
	bob = hopclient.NewUser(t, "bob", 0)
	old = connectAs(t, r, bob, true)
	ac = connectAs(t, r, hopclient.NewUser(t, "alice", 0), true)
	return r, bob, old, ac
}

// TestRedeliverHeldWrittenAfterNewSessionCursor is the precise race: an
// envelope pushed to the old connection is still held (AckWait 1s) when
// the new connection resumes and a later envelope is sent, so its write
// comes after the later one was handled. The new connection gets both, in
// order; the old one gets nothing more.
func TestRedeliverHeldWrittenAfterNewSessionCursor(t *testing.T) {
	r, bob, old, ac := bobAndAlice(t)
	first := hopclient.NewMsgID()
	ac.Send(first, bob, "held for the old connection")
	mustDeliver(t, old.Next(), first)
	bc := connectAs(t, r, bob, false)
	second := hopclient.NewMsgID()
	ac.Send(second, bob, "sent after the new connection resumed")
	receiveInOrder(t, bc, [][]byte{first, second})
	allAccepted(t, ac, [][]byte{first, second})
	noDeliver(t, bc.Sync())
	noDeliver(t, old.Sync())
}

// TestOldSessionStopsAfterReattach: the old connection is in the middle of
// writing its mailbox (its reader stalled, flow control blocks the relay)
// when a new connection of the same user resumes. Once the old reader
// reads again it gets only what was already on its way, not the rest of
// the mailbox: the relay stopped using the old session.
func TestOldSessionStopsAfterReattach(t *testing.T) {
	r := startRelay(t, Config{})
	bob := hopclient.NewUser(t, "bob", 0)
	connectAs(t, r, bob, true).Conn.CloseWithError(0, "")
	ac := connectAs(t, r, hopclient.NewUser(t, "alice", 0), true)
	const n = 40
	body := strings.Repeat("x", 4000)
	var ids [][]byte
	for range n {
		ids = append(ids, ac.SendOK(bob, body))
	}
	const window = 16 << 10
	old, _ := dialOwn(t, r, &quic.Config{MaxIdleTimeout: 30 * time.Second,
		InitialStreamReceiveWindow: window, MaxStreamReceiveWindow: window,
		InitialConnectionReceiveWindow: window, MaxConnectionReceiveWindow: window}, false)
	old.Req++
	old.Write(&wire.Frame{Req: old.Req, Resume: &wire.Resume{Username: bob.Name,
		Signature: bob.Identity.Sign(hop.ResumeLabel, hop.ResumeMessage(old.Hop.SessionID(), bob.Name))}})
	var f wire.Frame
	if err := old.Hop.ReadFrame(&f); err != nil {
		t.Fatal(err)
	}
	hopclient.MustWelcome(t, &f)
	bc := connectAs(t, r, bob, false)
	receiveInOrder(t, bc, ids)
	noDeliver(t, bc.Sync())
	go old.ReadLoop()
	delivered := 0
	for _, f := range old.Sync() {
		if f.Deliver != nil {
			delivered++
		}
	}
	// What the relay had written before the resume: the flow-control
	// window, its write buffer and the frame in progress.
	if limit := (window+hop.StreamWriteBuffer)/len(body) + 2; delivered > limit {
		t.Fatalf("old connection got %d of %d envelopes after the new one resumed (at most %d were on their way)", delivered, n, limit)
	}
}

// TestWelcomeBeforeAnyDeliver: a login is the delivery target before its
// Welcome is queued (so that a Send the client makes after reading Welcome
// reaches it). Envelopes waiting in the mailbox and one pushed live in
// that window are still written after the Welcome, all in order.
func TestWelcomeBeforeAnyDeliver(t *testing.T) {
	r := heldRelay(t, time.Second)
	bob, ac, ids := storedWhileAway(t, r, 3)
	live := hopclient.NewMsgID()
	ids = append(ids, live)
	hook := func(user string) {
		if user == "bob" {
			ac.Send(live, bob, "sent while the Welcome is not yet queued")
			time.Sleep(100 * time.Millisecond)
		}
	}
	r.srv.attached.Store(&hook)
	bc := connectAs(t, r, bob, false) // fails unless the first frame is Welcome
	receiveInOrder(t, bc, ids)
	allAccepted(t, ac, [][]byte{live})
	noDeliver(t, bc.Sync())
}

// TestSendAfterWelcomeGoesToNewConnection: once the client read Welcome, a
// Send to it is never pushed to the connection it replaced, however late
// the replacing login's goroutine runs after attaching.
func TestSendAfterWelcomeGoesToNewConnection(t *testing.T) {
	r, bob, old, ac := bobAndAlice(t)
	hook := func(string) { time.Sleep(50 * time.Millisecond) }
	r.srv.attached.Store(&hook)
	bc := connectAs(t, r, bob, false)
	id := hopclient.NewMsgID()
	ac.Send(id, bob, "after the Welcome")
	receiveInOrder(t, bc, [][]byte{id})
	allAccepted(t, ac, [][]byte{id})
	noDeliver(t, old.Sync())
}
