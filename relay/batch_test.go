package relay

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/securep2p/securep2p/metrics"
	"github.com/securep2p/securep2p/relay/relaytest/hopclient"
	"github.com/securep2p/securep2p/wire"
)

// Protocol version 2 lets one Ack or Accepted carry up to wire.MaxBatchIDs
// ids (ID, then More). The relay batches a run of Accepted answers only on
// a version 2 connection, keeps every Error in its place, and takes an Ack
// with More only from a version 2 client.

// parkedWriter holds the writer of one user's session the first time it
// goes idle, so that answers pile up in its queue and the next round
// writes them all at once.
type parkedWriter struct {
	parked  chan struct{} // closed once the writer is held
	release func()        // lets it go (also at the end of the test)
	ss      atomic.Pointer[session]
}

func parkWriter(t *testing.T, r *testRelay, name string) *parkedWriter {
	t.Helper()
	p := &parkedWriter{parked: make(chan struct{})}
	held := make(chan struct{})
	var parkOnce, releaseOnce sync.Once
	p.release = func() { releaseOnce.Do(func() { close(held) }) }
	t.Cleanup(p.release)
	hook := func(s *session) {
		if s.username() != name {
			return
		}
		parkOnce.Do(func() {
			p.ss.Store(s)
			close(p.parked)
		})
		<-held
	}
	r.srv.idleExit.Store(&hook)
	return p
}

// wait waits (at most 10 s) until the writer is held and returns its
// session.
func (p *parkedWriter) wait(t *testing.T) *session {
	t.Helper()
	select {
	case <-p.parked:
	case <-time.After(10 * time.Second):
		t.Fatal("the writer was not parked within 10s")
	}
	return p.ss.Load()
}

// queuedAnswers returns a copy of ss's answer queue.
func queuedAnswers(ss *session) []answer {
	ss.liveMu.Lock()
	defer ss.liveMu.Unlock()
	return append([]answer(nil), ss.answers...)
}

// waitAnswers waits until ss holds n queued answers and returns them.
func waitAnswers(t *testing.T, ss *session, n int) []answer {
	t.Helper()
	waitFor(t, func() bool { return len(queuedAnswers(ss)) == n })
	return queuedAnswers(ss)
}

// batchRelay is a relay holding pushed envelopes until they are acked
// (never written before) whose idle writers exit quickly.
func batchRelay(t *testing.T) *testRelay {
	return startRelay(t, Config{ackWait: time.Hour, writerLinger: lingerShort})
}

// pipelineSends writes n Sends to bob without waiting and returns the ids.
func pipelineSends(c *client, bob *user, n int) [][]byte {
	ids := make([][]byte, n)
	for i := range ids {
		ids[i] = hopclient.NewMsgID()
		c.Send(ids[i], bob, fmt.Sprintf("m%d", i))
	}
	return ids
}

// readDelivers reads n Delivers on c and returns their ids.
func readDelivers(t *testing.T, c *client, n int) [][]byte {
	t.Helper()
	ids := make([][]byte, 0, n)
	for len(ids) < n {
		f := c.Next()
		if f.Deliver == nil {
			t.Fatalf("got %v %v, want Deliver", f.Type(), hopclient.ErrCode(f))
		}
		ids = append(ids, f.Deliver.ID)
	}
	return ids
}

// ackInBatches acks ids in Acks of at most size ids each.
func ackInBatches(c *client, ids [][]byte, size int) {
	for len(ids) > 0 {
		n := min(size, len(ids))
		c.AckBatch(ids[:n])
		ids = ids[n:]
	}
}

// acceptedFrames reads Accepted frames on c until n ids were accepted and
// returns the frames, failing on any other frame or an id accepted twice
// or never sent.
func acceptedFrames(t *testing.T, c *client, ids [][]byte) []*wire.Accepted {
	t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[string(id)] = true
	}
	var frames []*wire.Accepted
	for len(want) > 0 {
		f := c.Next()
		got := hopclient.AcceptedIDs(f)
		if got == nil {
			t.Fatalf("got %v %v, want Accepted", f.Type(), hopclient.ErrCode(f))
		}
		for _, id := range got {
			if !want[string(id)] {
				t.Fatalf("Accepted of %x: never sent or accepted twice", id)
			}
			delete(want, string(id))
		}
		frames = append(frames, f.Accepted)
	}
	return frames
}

// acceptedWhileParked has a sender connected with protocol version v
// pipeline n Sends to an online bob while the sender's writer is held;
// bob acks them all (batched Acks), and once every answer is queued the
// writer goes on. It returns the Accepted frames the sender read.
func acceptedWhileParked(t *testing.T, v uint64, n int) []*wire.Accepted {
	t.Helper()
	r := batchRelay(t)
	bob, alice := hopclient.NewUser(t, "bob", 0), hopclient.NewUser(t, "alice", 0)
	bc := connectAs(t, r, bob, true)
	p := parkWriter(t, r, "alice")
	ac := hopclient.DialVersion(t, r.addr, r.srv.PublicKey(), v)
	hopclient.MustWelcome(t, ac.Register(alice))
	ss := p.wait(t)
	ids := pipelineSends(ac, bob, n)
	ackInBatches(bc, readDelivers(t, bc, n), wire.MaxBatchIDs)
	waitAnswers(t, ss, n)
	p.release()
	frames := acceptedFrames(t, ac, ids)
	noDeliver(t, bc.Sync())
	return frames
}

// TestAcceptedBatchedOnV2: answers queued together on a version 2
// connection leave as Accepted frames carrying several ids (More), each
// id accepted exactly once.
func TestAcceptedBatchedOnV2(t *testing.T) {
	const n = 500
	frames := acceptedWhileParked(t, 2, n)
	batched := 0
	for _, a := range frames {
		if len(a.More) > 0 {
			batched++
		}
		if 1+len(a.More) > wire.MaxBatchIDs {
			t.Fatalf("an Accepted of %d ids, limit %d", 1+len(a.More), wire.MaxBatchIDs)
		}
	}
	if batched == 0 {
		t.Fatalf("%d Accepted frames for %d ids, none with More", len(frames), n)
	}
}

// TestAcceptedSingleOnV1: a version 1 sender never sees More: one
// Accepted per id, each id once, even when the answers were queued
// together.
func TestAcceptedSingleOnV1(t *testing.T) {
	const n = 500
	frames := acceptedWhileParked(t, 1, n)
	for _, a := range frames {
		if a.More != nil {
			t.Fatalf("an Accepted with %d more ids on a version 1 connection", len(a.More))
		}
	}
	if len(frames) != n {
		t.Fatalf("%d Accepted frames, want %d", len(frames), n)
	}
}

// TestAckMoreOnV1IsBadFrame: an Ack with More from a version 1 client is
// a frame its version does not have: counted as a bad frame, the
// connection closed with CodeBadFrame, and the envelopes it named stay in
// the mailbox; the relay serves others.
func TestAckMoreOnV1IsBadFrame(t *testing.T) {
	r := startRelay(t, Config{})
	bob, _, ids := storedWhileAway(t, r, 2)
	bc := hopclient.DialVersion(t, r.addr, r.srv.PublicKey(), 1)
	hopclient.MustWelcome(t, bc.Resume(bob))
	readDelivers(t, bc, 2)
	bc.AckBatch(ids)
	if got := lastError(bc.Closed()); got != wire.CodeBadFrame {
		t.Fatalf("last frame error %v, want %v", got, wire.CodeBadFrame)
	}
	if code := closeCode(t, bc.Conn); code != wire.CodeBadFrame {
		t.Fatalf("closed with %v, want %v", code, wire.CodeBadFrame)
	}
	if v := value(r.m.BadInput.WithLabelValues(metrics.BadFrame)); v != 1 {
		t.Fatalf("bad frame count %v, want 1", v)
	}
	stillServes(t, r)
	again := connectAs(t, r, bob, false)
	if got := readDelivers(t, again, 2); !bytes.Equal(got[0], ids[0]) || !bytes.Equal(got[1], ids[1]) {
		t.Fatal("the refused Ack removed envelopes")
	}
}

// TestAckBatchRemovesMailbox: a recipient back online acks its 100 stored
// envelopes in batched Acks; none is delivered again on its next
// connection.
func TestAckBatchRemovesMailbox(t *testing.T) {
	const n = 100
	r := startRelay(t, Config{})
	bob, _, ids := storedWhileAway(t, r, n)
	bc := connectAs(t, r, bob, false)
	got := readDelivers(t, bc, n)
	for i := range ids {
		if !bytes.Equal(got[i], ids[i]) {
			t.Fatalf("deliver %d out of order", i)
		}
	}
	ackInBatches(bc, got, 40)
	bc.Sync()
	waitFor(t, func() bool { return value(r.m.MessagesAcked) == n })
	bc.Conn.CloseWithError(0, "")
	noDeliver(t, connectAs(t, r, bob, false).Sync())
}

// TestAckBatchUnknownIDs: a batch mixing stored ids with ids never sent
// (the first one too) removes the stored envelopes, ignores the others
// and keeps the session up.
func TestAckBatchUnknownIDs(t *testing.T) {
	r := startRelay(t, Config{})
	bob, _, ids := storedWhileAway(t, r, 3)
	bc := connectAs(t, r, bob, false)
	readDelivers(t, bc, 3)
	never := func() []byte { return hopclient.NewMsgID() }
	bc.AckBatch([][]byte{never(), ids[0], never(), ids[1], ids[2], never()})
	if f := bc.Call(&wire.Frame{Ping: &wire.Ping{N: 7}}); f.Pong == nil || f.Pong.N != 7 {
		t.Fatalf("got %v %v, want Pong", f.Type(), hopclient.ErrCode(f))
	}
	waitFor(t, func() bool { return value(r.m.MessagesAcked) == 3 })
	if v := value(r.m.BadInput.WithLabelValues(metrics.BadFrame)); v != 0 {
		t.Fatalf("bad frame count %v", v)
	}
	bc.Conn.CloseWithError(0, "")
	noDeliver(t, connectAs(t, r, bob, false).Sync())
	if v := value(r.m.MessagesAcked); v != 3 {
		t.Fatalf("%v envelopes acked, want 3", v)
	}
}

// TestAcceptedBatchKeepsErrors: Sends refused by the store (unknown
// recipient, changed key) interleaved with good ones in one queued run of
// answers: each id gets exactly one answer, the refused ones an Error
// with their id and code, and the frames keep the queue's order.
func TestAcceptedBatchKeepsErrors(t *testing.T) {
	r := batchRelay(t)
	bob, alice := hopclient.NewUser(t, "bob", 0), hopclient.NewUser(t, "alice", 0)
	connectAs(t, r, bob, true).Conn.CloseWithError(0, "")
	nobody := hopclient.NewUser(t, "nobody", 0)
	stale := *bob
	stale.Identity = hopclient.NewUser(t, "bob", 0).Identity
	p := parkWriter(t, r, "alice")
	ac := connectAs(t, r, alice, true)
	ss := p.wait(t)
	const n = 60
	want := map[string]wire.Code{}
	for i := range n {
		id, to, code := hopclient.NewMsgID(), bob, wire.Code(0)
		switch i % 5 {
		case 1:
			to, code = nobody, wire.CodeUnknownUser
		case 3:
			to, code = &stale, wire.CodeKeyChanged
		}
		ac.Send(id, to, "x")
		want[string(id)] = code
	}
	queue := waitAnswers(t, ss, n)
	p.release()
	answers, batched := answersRead(t, ac, n)
	if batched == 0 {
		t.Fatal("no Accepted carried More: the Accepted answers between the errors were not batched")
	}
	for i, got := range answers {
		q := queue[i]
		if got.code != q.code || !bytes.Equal(got.id, q.id[:]) {
			t.Fatalf("answer %d: %x code %v, queued %x code %v", i, got.id, got.code, q.id, q.code)
		}
		if want[string(got.id)] != got.code {
			t.Fatalf("answer %d: %x code %v, want %v", i, got.id, got.code, want[string(got.id)])
		}
		delete(want, string(got.id))
	}
	if len(want) != 0 {
		t.Fatalf("%d ids without an answer", len(want))
	}
}

// readAnswer is one id's answer as read by a sender (code 0: Accepted).
type readAnswer struct {
	id   []byte
	code wire.Code
}

// answersRead reads answers on c until n ids were answered and returns
// them in wire order (the ids of one Accepted in their order), and how
// many Accepted frames carried More.
func answersRead(t *testing.T, c *client, n int) (got []readAnswer, batched int) {
	t.Helper()
	for len(got) < n {
		f := c.Next()
		switch {
		case f.Accepted != nil:
			if len(f.Accepted.More) > 0 {
				batched++
			}
			for _, id := range hopclient.AcceptedIDs(f) {
				got = append(got, readAnswer{id: id})
			}
		case f.Error != nil && f.Error.ID != nil:
			got = append(got, readAnswer{id: f.Error.ID, code: f.Error.Code})
		default:
			t.Fatalf("got %v %v, want an answer to a Send", f.Type(), hopclient.ErrCode(f))
		}
	}
	if len(got) != n {
		t.Fatalf("%d answers, want %d", len(got), n)
	}
	return got, batched
}

// TestConnectionsByProtocol: the connections_by_protocol gauge counts open
// connections by the version their handshake negotiated, and forgets them
// when they end.
func TestConnectionsByProtocol(t *testing.T) {
	r := batchRelay(t)
	gauge := func(v uint64) float64 {
		return value(r.m.ConnectionsProtocol.WithLabelValues(metrics.ProtocolLabel(v)))
	}
	c1 := hopclient.DialVersion(t, r.addr, r.srv.PublicKey(), 1)
	c2 := hopclient.DialVersion(t, r.addr, r.srv.PublicKey(), 2)
	c2b := hopclient.DialVersion(t, r.addr, r.srv.PublicKey(), 2)
	for _, c := range []*client{c1, c2, c2b} {
		c.Sync() // the relay has finished the handshake (it answered a Ping)
	}
	if gauge(1) != 1 || gauge(2) != 2 {
		t.Fatalf("by protocol: v1 %v, v2 %v; want 1 and 2", gauge(1), gauge(2))
	}
	c1.Conn.CloseWithError(0, "")
	c2.Conn.CloseWithError(0, "")
	deadline := time.Now().Add(10 * time.Second)
	for gauge(1) != 0 || gauge(2) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("after two closes: v1 %v, v2 %v; want 0 and 1", gauge(1), gauge(2))
		}
		time.Sleep(5 * time.Millisecond)
	}
}
