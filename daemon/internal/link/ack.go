package link

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/securep2p/securep2p/wire"
)

// # The Ack lane
//
// The reader goroutine acknowledges every stored Deliver. It must not
// block on the frame queue (a writer stalled by QUIC flow control would
// then stop the reader too, and with it the relay's answers that would
// unblock it), and a full queue must not drop the Ack either: the relay
// would redeliver an envelope that is in fact stored, and keep it on disk
// and in the recipient's quota until then. So Acks have a lane of their
// own beside the queue: [Conn.Ack] appends the id to a mutex-guarded list
// and wakes the writer; it never waits.
//
// The writer serves the lane first whenever it runs: before each frame it
// takes from the queue, and in the shutdown flush. It takes every pending
// id at once and writes them in the order Ack was called, as Acks of up
// to wire.MaxBatchIDs ids on version 2 and of one id on version 1. An Ack
// may so overtake Sends queued before it (they are unrelated), but Acks
// keep their order among themselves. Ack frames queued with Write or
// TryWrite are not part of the lane (they keep their queue order and are
// merged as batch.go says); there is no order between the two.
//
// The bound. The list holds ids the daemon stored but the writer has not
// written yet, so it only grows while the writer is stuck in a write (the
// relay not reading). The relay delivers each envelope at most once per
// connection, from the recipient's mailbox (at most MailboxMaxMsgs,
// default 10,000, relay/config.go) and from its live push queue (pushCap:
// sendTokens, 4,096, relay/deliver.go), and the daemon commits each one
// to disk before acking it. maxPendingAcks is several times what a relay
// with default limits can have outstanding, and the list is at most 1 MiB
// (16-byte ids, copied: the caller's frame is not retained). Beyond it
// Ack fails with [ErrQueueFull] and the relay redelivers that envelope.

// maxPendingAcks bounds the ids waiting in the Ack lane.
const maxPendingAcks = 1 << 16

// keepAckBuf is the largest lane buffer (bytes) the writer keeps for
// reuse; a larger one, grown by a burst, is left to the collector.
const keepAckBuf = 4096 * wire.IDSize

// errAckID rejects an Ack id of the wrong length.
var errAckID = errors.New("link: ack id is not wire.IDSize bytes")

// ackLane is the list of ids waiting for the writer (see above).
type ackLane struct {
	wake  chan struct{} // buffered 1: the writer has pending ids to look at
	count atomic.Int64  // ids pending, for the writer's lock-free check
	mu    sync.Mutex
	ids   []byte // pending ids, wire.IDSize bytes each, in call order
}

func newAckLane() ackLane { return ackLane{wake: make(chan struct{}, 1)} }

// Ack queues an acknowledgement of the envelope id (wire.IDSize bytes; it
// is copied) in the Ack lane, ahead of the frame queue. It never blocks:
// it fails only when the connection has ended ([ErrClosed]) or
// maxPendingAcks ids are already waiting ([ErrQueueFull]). Acks leave in
// the order of the calls, batched on version 2. Like any queued frame, an
// Ack accepted while the connection is ending may not be written; the
// relay then redelivers the envelope.
func (c *Conn) Ack(id []byte) error {
	if len(id) != wire.IDSize {
		return errAckID
	}
	select {
	case <-c.done:
		return ErrClosed
	default:
	}
	if err := c.acks.add(id); err != nil {
		return err
	}
	select {
	case c.acks.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
	return nil
}

// add appends id to the list, or fails when the list is full.
func (l *ackLane) add(id []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ids) >= maxPendingAcks*wire.IDSize {
		return ErrQueueFull
	}
	l.ids = append(l.ids, id...)
	l.count.Add(1)
	return nil
}

// take swaps the pending ids for spare (emptied) and returns them.
func (l *ackLane) take(spare []byte) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	ids := l.ids
	l.ids = spare[:0]
	l.count.Store(0)
	return ids
}

// writeAcks writes every id pending in the lane (writer goroutine only).
func (c *Conn) writeAcks() error {
	if c.acks.count.Load() == 0 {
		return nil
	}
	ids := c.acks.take(c.ackBuf)
	err := c.writeAckIDs(ids)
	c.ackBuf = nil
	if cap(ids) <= keepAckBuf {
		c.ackBuf = ids
	}
	return err
}

// writeAckIDs writes ids (wire.IDSize bytes each) as Acks of up to
// wire.MaxBatchIDs ids on version 2, of one id on version 1.
func (c *Conn) writeAckIDs(ids []byte) error {
	per := 1
	if c.version >= batchVersion {
		per = wire.MaxBatchIDs
	}
	for len(ids) > 0 {
		n := min(per, len(ids)/wire.IDSize) * wire.IDSize
		out := c.scratchAck(ids[:n])
		err := c.fc.WriteFrame(out)
		c.releaseBatch(out)
		if err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}
