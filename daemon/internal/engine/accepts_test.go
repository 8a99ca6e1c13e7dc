package engine

import (
	"errors"
	"fmt"
	"testing"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/store"
	"github.com/securep2p/securep2p/wire"
)

// TestAcceptedMoreMarksAllSent: a batched Accepted (protocol version 2)
// marks its ID and every More id sent and takes each out of the outbox,
// as that many single Accepted frames would. The accounts and the session
// come from a real relay; the messages are then queued by the same store
// with no relay reachable, so only the batched Accepted handed to the
// engine's link.Handler can move them.
func TestAcceptedMoreMarksAllSent(t *testing.T) {
	_, _, offline := offlineWithSession(t) // no relay: nothing is transmitted
	var ids []string
	var raw [][]byte
	for i := range 4 {
		res := offline.send("bob", fmt.Sprintf("batched %d", i), "")
		id, err := store.ParseID(res.Message.ID)
		if err != nil || res.Message.Status != api.StatusQueued {
			t.Fatalf("message %d: status %s (%v), want queued", i, res.Message.Status, err)
		}
		ids, raw = append(ids, res.Message.ID), append(raw, id[:])
	}
	// The first three in one Accepted; the fourth is not accepted.
	offline.e.Frame(nil, &wire.Frame{Accepted: &wire.Accepted{ID: raw[0], More: raw[1:3]}})
	offline.waitFor("every id of the batch sent", func() bool {
		for _, id := range ids[:3] {
			if offline.status(id) != api.StatusSent {
				return false
			}
		}
		return true
	})
	if s := offline.status(ids[3]); s != api.StatusQueued {
		t.Fatalf("the message outside the batch is %s, want queued", s)
	}
	var left []store.ID
	_ = offline.db.View(func(tx *store.Tx) error { left = tx.Outbox(outboxBatch); return nil })
	if len(left) != 1 || left[0].String() != ids[3] {
		t.Fatalf("outbox %v, want only %s", left, ids[3])
	}
}

// TestAcceptedInflightUntilCommit: the transaction applying an Accepted
// id keeps the message inflight until it commits; when it fails (a disk
// error) the message is still recorded as just sent, so the outbox does not
// resend it before RetryEvery.
func TestAcceptedInflightUntilCommit(t *testing.T) {
	alice, bob := newHandNode(t, "alice"), newHandNode(t, "bob")
	id := alice.queue(bob, "accepted, then the disk failed")
	alice.e.markInflight(id, nil) // written on the (here absent) connection
	errDisk := errors.New("test: commit failed")
	err := alice.e.db.Update(func(tx *store.Tx) error {
		if err := alice.e.applyAccepted(tx, func(api.Event) error { return nil }, []store.ID{id}); err != nil {
			return err
		}
		return errDisk
	})
	if !errors.Is(err, errDisk) {
		t.Fatalf("update: %v", err)
	}
	if !alice.e.recentlySent(id, nil) {
		t.Fatal("a rolled-back Accepted forgot the inflight record: the outbox resends at once")
	}
	alice.e.accepted(id[:])
	alice.e.flushAccepted()
	if alice.e.recentlySent(id, nil) {
		t.Fatal("the inflight record outlived the committed sent status")
	}
}
