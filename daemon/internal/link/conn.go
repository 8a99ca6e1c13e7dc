package link

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

// Errors.
var (
	ErrQueueFull = errors.New("link: send queue full")
	ErrClosed    = errors.New("link: connection closed")
	// ErrRelaySilent ends a connection on which a Ping got no answer (nor
	// any other frame) within [Config.PongTimeout]: the relay is gone
	// without saying so (crashed, unreachable, or dropped the connection
	// without a QUIC close).
	ErrRelaySilent = errors.New("link: relay stopped answering")
)

// frameConn is what Conn needs from the hop connection (a *hop.Conn over
// a buffered stream). Written frames may wait in a buffer until Flush.
type frameConn interface {
	ReadFrame(f *wire.Frame) error
	WriteFrame(f *wire.Frame) error
	Flush() error
	Stats() Stats
	Version() uint64 // the negotiated protocol version
}

// Stats are transport counters of one connection (QUIC packets, both
// directions, since the dial).
type Stats struct {
	PacketsSent     uint64
	PacketsReceived uint64
	PacketsLost     uint64 // declared lost (not monotonic: a late arrival is taken back)
}

// Conn is one authenticated-channel connection to the relay. Its methods
// are safe for concurrent use.
type Conn struct {
	fc        frameConn
	sessionID [32]byte
	relayKey  secp.PublicKey
	version   uint64 // negotiated protocol version
	out       chan *wire.Frame
	done      chan struct{} // closed when the connection is finished
	drained   chan struct{} // closed when the writer has exited
	received  atomic.Uint64 // frames read so far (liveness)
	batch     *ackBatch     // writer only: merged-Ack scratch, made on first use
	acks      ackLane       // Acks waiting for the writer, ahead of out (ack.go)
	ackBuf    []byte        // writer only: the lane buffer it last emptied, for reuse

	mu      sync.Mutex
	nextReq uint64
	pending map[uint64]chan *wire.Frame
	err     error
	closing bool
}

func newConn(fc frameConn, sid [32]byte, relayKey secp.PublicKey, queue int) *Conn {
	return &Conn{
		fc: fc, sessionID: sid, relayKey: relayKey, version: fc.Version(),
		out:     make(chan *wire.Frame, queue),
		acks:    newAckLane(),
		done:    make(chan struct{}),
		drained: make(chan struct{}),
		pending: make(map[uint64]chan *wire.Frame),
	}
}

// SessionID is the hop session id (what Resume signs).
func (c *Conn) SessionID() [32]byte { return c.sessionID }

// RelayKey is the relay's authenticated long-term key.
func (c *Conn) RelayKey() secp.PublicKey { return c.relayKey }

// Version is the protocol version negotiated with the relay: from 2 on,
// queued Acks leave merged (see batch.go).
func (c *Conn) Version() uint64 { return c.version }

// Stats returns the connection's transport counters.
func (c *Conn) Stats() Stats { return c.fc.Stats() }

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended (nil while it is up).
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close ends the connection with cause (nil: [ErrClosed]); the link then
// reconnects. Frames already queued are flushed as on any other end. The
// engine uses it when it no longer knows the relay session's state (a
// Login whose reply it stopped waiting for).
func (c *Conn) Close(cause error) { c.fail(cause) }

// Write queues f for the writer, waiting for room until ctx ends.
func (c *Conn) Write(ctx context.Context, f *wire.Frame) error {
	select {
	case <-c.done:
		return ErrClosed
	default:
	}
	select {
	case c.out <- f:
		return nil
	case <-c.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TryWrite queues f or fails at once with ErrQueueFull.
func (c *Conn) TryWrite(f *wire.Frame) error {
	select {
	case <-c.done:
		return ErrClosed
	default:
	}
	select {
	case c.out <- f:
		return nil
	default:
		return ErrQueueFull
	}
}

// Request sends f with a fresh Req number and waits for the reply with the
// same number. An Error reply is returned as a *wire.RemoteError.
func (c *Conn) Request(ctx context.Context, f *wire.Frame) (*wire.Frame, error) {
	ch := make(chan *wire.Frame, 1)
	c.mu.Lock()
	c.nextReq++
	f.Req = c.nextReq
	c.pending[f.Req] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, f.Req)
		c.mu.Unlock()
	}()
	if err := c.Write(ctx, f); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			return r, r.Error.Err()
		}
		return r, nil
	case <-c.done:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// reply hands a response to the waiting Request; false if nobody waits.
func (c *Conn) reply(f *wire.Frame) bool {
	c.mu.Lock()
	ch, ok := c.pending[f.Req]
	c.mu.Unlock()
	if ok {
		ch <- f // buffered 1, one reply per Req
	}
	return ok
}

// fail ends the connection with err (first error wins).
func (c *Conn) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	c.closing = true
	if err == nil {
		err = ErrClosed
	}
	c.err = err
	close(c.done)
}

// readLoop is the only reader. Replies go to Request, the rest to h.
func (c *Conn) readLoop(h Handler) {
	for {
		f := new(wire.Frame)
		if err := c.fc.ReadFrame(f); err != nil {
			c.fail(fmt.Errorf("link: read: %w", relayClose(err)))
			return
		}
		c.received.Add(1)
		switch {
		case c.version < batchVersion && batched(f):
			c.fail(errBatchOnV1)
			return
		case f.Ping != nil:
			_ = c.TryWrite(&wire.Frame{Pong: &wire.Pong{N: f.Ping.N}})
		case f.Pong != nil:
		case f.Req != 0 && c.reply(f):
		case f.Error != nil && f.Error.ID == nil && f.Req == 0:
			c.fail(fmt.Errorf("link: relay closed the connection: %w", f.Error.Err()))
			return
		default:
			h.Frame(c, f)
		}
	}
}

// writeLoop is the only writer. Woken by a queued frame or by the Ack
// lane, it writes the pending Acks, then the queued frames, serving the
// lane again before each frame it takes (writePending), and flushes the
// stream buffer only when both are empty, so frames queued together leave
// in one stream Write. After done it writes what is pending, up to the
// deadline, so in-flight Acks and Sends are not lost on shutdown.
func (c *Conn) writeLoop(drain time.Duration) {
	defer close(c.drained)
	for {
		var f *wire.Frame
		select {
		case f = <-c.out:
		case <-c.acks.wake:
		case <-c.done:
			c.flush(time.Now().Add(drain))
			return
		}
		if err := c.writeQueued(f); err != nil {
			c.fail(fmt.Errorf("link: write: %w", err))
			return
		}
	}
}

// writeQueued writes the pending Acks, f (nil: none) and every frame
// queued behind it, then flushes.
func (c *Conn) writeQueued(f *wire.Frame) error {
	if err := c.writePending(f, time.Time{}); err != nil {
		return err
	}
	return c.fc.Flush()
}

// flush writes what is pending, until the deadline, and flushes.
func (c *Conn) flush(deadline time.Time) {
	_ = c.writePending(nil, deadline)
	_ = c.fc.Flush()
}

// writePending writes f (nil: none) and then the queued frames, the
// pending Acks of the lane first each time, until both are empty or (a
// non-zero deadline) the deadline has passed.
func (c *Conn) writePending(f *wire.Frame, deadline time.Time) error {
	for deadline.IsZero() || time.Now().Before(deadline) {
		if err := c.writeAcks(); err != nil {
			return err
		}
		if f == nil {
			f = c.poll()
		}
		if f == nil {
			return nil
		}
		next, err := c.writeFrame(f)
		if err != nil {
			return err
		}
		f = next
	}
	return nil
}

// writeFrame writes f, merged with the Acks queued behind it on version 2
// ([Conn.coalesce]), and returns the queued frame that ended the merge.
func (c *Conn) writeFrame(f *wire.Frame) (next *wire.Frame, err error) {
	out, next := c.coalesce(f)
	err = c.fc.WriteFrame(out)
	c.releaseBatch(out)
	return next, err
}

// keepalive pings every interval (ping queues the Ping) and ends the
// connection with [ErrRelaySilent] when nothing at all was read within
// silent after a Ping. A relay that vanished without a word (crash, lost
// network, a connection dropped without a QUIC close) is so noticed within
// every+silent, not at QUIC's idle timeout. A relay whose QUIC packets
// still arrive (acknowledgements, retransmissions) is overloaded rather
// than gone: while the packet count grows the deadline is renewed, up to
// silentRounds periods in all, so that a busy relay's late Pong does not
// end connections (whose redials would load it further).
//
// The counts are taken before the Ping is queued: over loopback the Pong
// can be read before this goroutine runs again after queueing it, and
// counted after, it would pass for a frame older than the Ping.
func (c *Conn) keepalive(every, silent time.Duration, ping func(n uint64)) {
	t := time.NewTicker(every)
	defer t.Stop()
	deadline := time.NewTimer(silent)
	deadline.Stop()
	defer deadline.Stop()
	var n, seen, pkts uint64
	rounds := 0 // silent periods the current Ping has waited; 0: none pending
	for {
		select {
		case <-t.C:
			n++
			if rounds == 0 {
				seen, pkts, rounds = c.received.Load(), c.fc.Stats().PacketsReceived, 1
				deadline.Reset(silent)
			}
			ping(n)
		case <-deadline.C:
			switch p := c.fc.Stats().PacketsReceived; {
			case c.received.Load() != seen:
				rounds = 0
			case p != pkts && rounds < silentRounds:
				pkts, rounds = p, rounds+1
				deadline.Reset(silent)
			default:
				c.fail(ErrRelaySilent)
				return
			}
		case <-c.done:
			return
		}
	}
}

// silentRounds bounds how long a Ping waits while only QUIC packets, no
// frames, arrive: silentRounds × PongTimeout.
const silentRounds = 3

// ping queues Ping n. When the queue is full the Ping is dropped and the
// keepalive deadline runs as for a Ping lost on the way.
func (c *Conn) ping(n uint64) { _ = c.TryWrite(&wire.Frame{Ping: &wire.Ping{N: n}}) }

// relayClose turns the relay's QUIC close into the protocol error it
// carries: the relay closes connections with a wire.Code as the QUIC
// application error code (wire/PROTOCOL.md), so a close that overtakes the
// final Error frame still reads as that code (e.g. CodeShuttingDown).
func relayClose(err error) error {
	var ae *quic.ApplicationError
	if errors.As(err, &ae) && ae.Remote && ae.ErrorCode != 0 && ae.ErrorCode <= 0xffff {
		code := wire.Code(ae.ErrorCode)
		msg := ae.ErrorMessage
		if msg == code.String() {
			msg = "" // the relay puts the code's name there; don't say it twice
		}
		if len(msg) > wire.MaxErrorMessage {
			msg = msg[:wire.MaxErrorMessage]
		}
		return &wire.RemoteError{Code: code, Message: msg}
	}
	return err
}
