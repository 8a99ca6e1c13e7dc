package link

import (
	"errors"

	"github.com/securep2p/securep2p/wire"
)

// # Ack batching (protocol version 2)
//
// On a connection that negotiated version 2 or later the writer merges
// Acks that are already queued one behind the other into one
// wire.Ack{ID, More} of up to wire.MaxBatchIDs ids, in queue order. It
// never waits for an Ack to arrive: it only takes what is queued when it
// looks, so batching adds no delay. Any other frame ends the batch and is
// written right after it, so the order of frames on the wire is that of
// the queue. On version 1 every Ack is written as queued.

// errBatchOnV1 ends a version-1 connection on which the relay sent an Ack
// or Accepted with More (a version-2 field).
var errBatchOnV1 = errors.New("link: relay sent a batched Ack or Accepted on a version-1 connection")

// batchVersion is the first protocol version with batched Ack/Accepted.
const batchVersion = 2

// ackBatch is the writer's scratch for one merged Ack, queued (coalesce)
// or from the Ack lane (ack.go). The writer is its only user; more keeps
// its backing array from batch to batch, so a connection that batches
// allocates only while the array grows.
type ackBatch struct {
	frame wire.Frame
	ack   wire.Ack
	more  [][]byte // backing array of More, kept from batch to batch
}

// scratch returns the writer's merged-Ack scratch, made on first use.
func (c *Conn) scratch() *ackBatch {
	if c.batch == nil {
		c.batch = new(ackBatch)
		c.batch.frame.Ack = &c.batch.ack
	}
	return c.batch
}

// scratchAck returns the scratch frame acking ids (wire.IDSize bytes
// each, at least one), in order: the first as ID, the rest as More (nil
// for a single id). The frame points into ids; releaseBatch drops them.
func (c *Conn) scratchAck(ids []byte) *wire.Frame {
	b := c.scratch()
	b.ack.ID = ids[:wire.IDSize:wire.IDSize]
	more := b.more[:0]
	for i := wire.IDSize; i < len(ids); i += wire.IDSize {
		more = append(more, ids[i:i+wire.IDSize:i+wire.IDSize])
	}
	b.more = more
	if len(more) > 0 {
		b.ack.More = more
	}
	return &b.frame
}

// plainAck reports whether f is an Ack of one id without Req (what the
// engine queues), which may join a batch.
func plainAck(f *wire.Frame) bool {
	return f.Ack != nil && f.Ack.More == nil && f.Req == 0
}

// batched reports whether f uses the version-2 More field.
func batched(f *wire.Frame) bool {
	return (f.Ack != nil && f.Ack.More != nil) || (f.Accepted != nil && f.Accepted.More != nil)
}

// coalesce returns the frame to write for f: on version 2, a plain Ack f
// merged with the plain Acks queued right behind it (at most
// wire.MaxBatchIDs ids in all). next is the frame taken from the queue
// that ended the batch, to be written after it; nil when the queue ran
// empty or the batch is full. Writer goroutine only.
func (c *Conn) coalesce(f *wire.Frame) (out, next *wire.Frame) {
	if c.version < batchVersion || !plainAck(f) {
		return f, nil
	}
	b := c.scratch()
	more := b.more[:0]
	for len(more) < wire.MaxBatchIDs-1 {
		g := c.poll()
		if g == nil {
			break
		}
		if !plainAck(g) {
			next = g
			break
		}
		more = append(more, g.Ack.ID)
	}
	b.more = more
	if len(more) == 0 {
		return f, next
	}
	b.ack.ID, b.ack.More = f.Ack.ID, more
	return &b.frame, next
}

// releaseBatch drops the ids of a written batch (the scratch keeps its
// array, not the frames' ids).
func (c *Conn) releaseBatch(out *wire.Frame) {
	if c.batch == nil || out != &c.batch.frame {
		return
	}
	clear(c.batch.more)
	c.batch.ack.ID, c.batch.ack.More, c.batch.more = nil, nil, c.batch.more[:0]
}

// poll takes the next queued frame, or nil when the queue is empty.
func (c *Conn) poll() *wire.Frame {
	select {
	case f := <-c.out:
		return f
	default:
		return nil
	}
}
