package relay

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/securep2p/securep2p/relay/relaytest/hopclient"
	"github.com/securep2p/securep2p/wire"
)

// The online path: envelopes pushed from memory while their write waits
// for the recipient's Ack. Each crash test takes a crash image of the
// running relay (its state files as a SIGKILL would leave them: bbolt only
// trusts committed, checksummed meta pages, so a copy taken at any moment
// is what a restarted relay would open), starts a second relay on it and
// checks the contract: nothing the sender was told Accepted is lost.

// crashImage copies r's state directory as it is on disk right now.
func crashImage(t *testing.T, r *testRelay) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{KeyFile, CertFile, CertKeyFile, DatabaseFile} {
		b, err := os.ReadFile(filepath.Join(r.srv.cfg.StateDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// heldRelay runs a relay whose pushed envelopes wait ackWait for the Ack.
func heldRelay(t *testing.T, ackWait time.Duration) *testRelay {
	cfg := Config{}
	cfg.ackWait = ackWait
	return startRelay(t, cfg)
}

func mustDeliver(t *testing.T, f *wire.Frame, id []byte) {
	t.Helper()
	if f.Deliver == nil || !bytes.Equal(f.Deliver.ID, id) {
		t.Fatalf("got %v, want Deliver of %x", f.Type(), id)
	}
}

func mustAccepted(t *testing.T, f *wire.Frame, id []byte) {
	t.Helper()
	if f.Accepted == nil || !bytes.Equal(f.Accepted.ID, id) || len(f.Accepted.More) != 0 {
		t.Fatalf("got %v %v, want Accepted of %x alone", f.Type(), hopclient.ErrCode(f), id)
	}
}

// acceptedN reads Accepted frames on c until n ids were accepted (failing
// on any other frame or on more ids) and returns them in order.
func acceptedN(t *testing.T, c *client, n int) [][]byte {
	t.Helper()
	var ids [][]byte
	for len(ids) < n {
		f := c.Next()
		got := hopclient.AcceptedIDs(f)
		if got == nil {
			t.Fatalf("got %v %v, want Accepted", f.Type(), hopclient.ErrCode(f))
		}
		ids = append(ids, got...)
	}
	if len(ids) != n {
		t.Fatalf("%d ids accepted, want %d", len(ids), n)
	}
	return ids
}

func noAccepted(t *testing.T, frames []*wire.Frame) {
	t.Helper()
	for _, f := range frames {
		if f.Accepted != nil {
			t.Fatalf("Accepted before the envelope was durable or acknowledged")
		}
	}
}

// TestOnlineAckBeforeCommitWritesNothing: the recipient's Ack cancels the
// held write; Accepted follows the Ack; a crash image then holds nothing
// (the recipient has the envelope) and nothing was committed.
func TestOnlineAckBeforeCommitWritesNothing(t *testing.T) {
	r := heldRelay(t, time.Hour)
	bob := hopclient.NewUser(t, "bob", 0)
	bc := connectAs(t, r, bob, true)
	ac := connectAs(t, r, hopclient.NewUser(t, "alice", 0), true)
	commits := histogramCount(r.m.StoreCommitLatency)
	id := hopclient.NewMsgID()
	ac.Send(id, bob, "fast path")
	mustDeliver(t, bc.Next(), id)
	noAccepted(t, ac.Sync())
	bc.Write(&wire.Frame{Ack: &wire.Ack{ID: id}})
	mustAccepted(t, ac.Next(), id)
	if got := histogramCount(r.m.StoreCommitLatency); got != commits {
		t.Fatalf("%d commits for an envelope acked before its write", got-commits)
	}
	r2 := startRelay(t, Config{StateDir: crashImage(t, r)})
	if got := connectAs(t, r2, bob, false).Sync(); len(got) != 0 {
		t.Fatalf("acked envelope still in the mailbox: %d frames", len(got))
	}
}

// TestOnlineCrashBeforeAckNothingAccepted: killed after the push and before
// the Ack or any write: the sender was told nothing, so re-sending the
// same id to the restarted relay is the whole recovery.
func TestOnlineCrashBeforeAckNothingAccepted(t *testing.T) {
	r := heldRelay(t, time.Hour)
	bob := hopclient.NewUser(t, "bob", 0)
	bc := connectAs(t, r, bob, true)
	alice := hopclient.NewUser(t, "alice", 0)
	ac := connectAs(t, r, alice, true)
	id := hopclient.NewMsgID()
	ac.Send(id, bob, "in flight")
	mustDeliver(t, bc.Next(), id)
	noAccepted(t, ac.Sync())
	r2 := startRelay(t, Config{StateDir: crashImage(t, r)})
	bc2 := connectAs(t, r2, bob, false)
	ac2 := connectAs(t, r2, alice, false)
	ac2.Send(id, bob, "in flight")
	mustDeliver(t, bc2.Next(), id)
	bc2.Write(&wire.Frame{Ack: &wire.Ack{ID: id}})
	mustAccepted(t, ac2.Next(), id)
}

// TestOnlineRecipientGoneBeforeAck: the recipient disconnects after the
// push without acking: the envelope is written after AckWait, Accepted
// follows the commit, and a crash image then delivers it on reconnect.
func TestOnlineRecipientGoneBeforeAck(t *testing.T) {
	r := heldRelay(t, 50*time.Millisecond)
	bob := hopclient.NewUser(t, "bob", 0)
	bc := connectAs(t, r, bob, true)
	ac := connectAs(t, r, hopclient.NewUser(t, "alice", 0), true)
	id := hopclient.NewMsgID()
	ac.Send(id, bob, "not acked")
	mustDeliver(t, bc.Next(), id)
	bc.Conn.CloseWithError(0, "")
	mustAccepted(t, ac.Next(), id)
	r2 := startRelay(t, Config{StateDir: crashImage(t, r)})
	mustDeliver(t, connectAs(t, r2, bob, false).Next(), id)
}

// TestOnlineAckAfterCommitDeletes: an Ack that comes after the write
// deletes the committed envelope.
func TestOnlineAckAfterCommitDeletes(t *testing.T) {
	r := heldRelay(t, 20*time.Millisecond)
	bob := hopclient.NewUser(t, "bob", 0)
	bc := connectAs(t, r, bob, true)
	ac := connectAs(t, r, hopclient.NewUser(t, "alice", 0), true)
	id := hopclient.NewMsgID()
	ac.Send(id, bob, "slow ack")
	mustDeliver(t, bc.Next(), id)
	mustAccepted(t, ac.Next(), id)
	if got := bc.Sync(); len(got) != 0 {
		t.Fatalf("delivered again on the same connection: %d frames", len(got))
	}
	bc.Write(&wire.Frame{Ack: &wire.Ack{ID: id}})
	bc.Sync()
	waitFor(t, func() bool { return value(r.m.MessagesAcked) == 1 })
	r2 := startRelay(t, Config{StateDir: crashImage(t, r)})
	if got := connectAs(t, r2, bob, false).Sync(); len(got) != 0 {
		t.Fatalf("acked envelope redelivered: %d frames", len(got))
	}
}

// TestOnlineDuplicateWaitsForOriginal: a re-sent id while the original is
// held is answered only once the original is acknowledged, and delivered
// once.
func TestOnlineDuplicateWaitsForOriginal(t *testing.T) {
	r := heldRelay(t, time.Hour)
	bob := hopclient.NewUser(t, "bob", 0)
	bc := connectAs(t, r, bob, true)
	ac := connectAs(t, r, hopclient.NewUser(t, "alice", 0), true)
	id := hopclient.NewMsgID()
	ac.Send(id, bob, "twice")
	ac.Send(id, bob, "twice")
	mustDeliver(t, bc.Next(), id)
	noAccepted(t, ac.Sync())
	bc.Write(&wire.Frame{Ack: &wire.Ack{ID: id}})
	for _, got := range acceptedN(t, ac, 2) { // one frame or two (version 2 batches)
		if !bytes.Equal(got, id) {
			t.Fatalf("Accepted of %x, want %x", got, id)
		}
	}
	if got := bc.Sync(); len(got) != 0 {
		t.Fatalf("duplicate delivered: %d frames", len(got))
	}
	ac.Send(id, bob, "twice") // after the ack: remembered, not delivered
	mustAccepted(t, ac.Next(), id)
	if got := bc.Sync(); len(got) != 0 {
		t.Fatalf("re-send after the ack delivered: %d frames", len(got))
	}
}

// storedWhileAway registers bob, who then goes away, and has alice (who
// stays connected, as ac) send him n envelopes, each Accepted; it returns
// their ids in send order.
func storedWhileAway(t *testing.T, r *testRelay, n int) (bob *user, ac *client, ids [][]byte) {
	t.Helper()
	bob = hopclient.NewUser(t, "bob", 0)
	connectAs(t, r, bob, true).Conn.CloseWithError(0, "")
	ac = connectAs(t, r, hopclient.NewUser(t, "alice", 0), true)
	for range n {
		ids = append(ids, ac.SendOK(bob, "stored while bob was away"))
	}
	return bob, ac, ids
}

// TestOnlineOrderAfterMailbox: envelopes stored while the recipient was
// away come before those pushed once it is back, in send order.
func TestOnlineOrderAfterMailbox(t *testing.T) {
	r := heldRelay(t, time.Hour)
	bob, ac, ids := storedWhileAway(t, r, 3)
	bc := connectAs(t, r, bob, false)
	for range 3 {
		id := hopclient.NewMsgID()
		ac.Send(id, bob, "pushed")
		ids = append(ids, id)
	}
	for i, id := range ids {
		f := bc.Next()
		mustDeliver(t, f, id)
		bc.Write(&wire.Frame{Ack: &wire.Ack{ID: f.Deliver.ID}})
		if i >= 3 {
			mustAccepted(t, ac.Next(), id)
		}
	}
}
