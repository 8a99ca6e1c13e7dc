package relay

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/securep2p/securep2p/metrics"
	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/hop"
)

const (
	pullBatch    = 64              // envelopes read from the mailbox per store read
	flushTimeout = 2 * time.Second // for the final writes of a closing session
	lingerClose  = time.Second     // wait for the peer to read the fatal frame
)

// session is one authenticated-or-not client connection. The reader
// goroutine (run) owns request handling; the writer goroutine (writeLoop)
// is the only one touching hc.WriteFrame. Lock order: none (atomics and
// channels only).
type session struct {
	s      *Server
	conn   *quic.Conn
	stream *quic.Stream
	hc     *hop.Conn
	ip     string

	out     chan outFrame // bounded write queue
	slots   chan struct{} // Sends awaiting their commit answer (bounded)
	wake    chan struct{} // cap 1: the mailbox may have news
	closing chan struct{} // closed by fatal: writer flushes and closes
	done    chan struct{} // closed when the writer has finished

	fatalOnce sync.Once
	fatalF    *wire.Frame

	user   atomic.Pointer[string] // nil: unauthenticated
	detach func()                 // reader only

	sendLim, fetchLim bucket // reader only

	cursorUser string // writer only: whose mailbox cursor is
	cursor     uint64 // writer only: last Seq written
}

func newSession(s *Server, conn *quic.Conn, stream *quic.Stream, hc *hop.Conn) *session {
	return &session{s: s, conn: conn, stream: stream, hc: hc, ip: addrKey(conn.RemoteAddr()),
		out: make(chan outFrame, 2*s.cfg.WriteQueue), slots: make(chan struct{}, s.cfg.WriteQueue), wake: make(chan struct{}, 1),
		closing: make(chan struct{}), done: make(chan struct{})}
}

// Notify implements [Notifier].
func (ss *session) Notify() {
	select {
	case ss.wake <- struct{}{}:
	default:
	}
}

func (ss *session) username() string {
	if p := ss.user.Load(); p != nil {
		return *p
	}
	return ""
}

// run is the reader. It returns when the connection ends; it then waits
// for the writer to finish.
func (ss *session) run(ctx context.Context) {
	go ss.writeLoop()
	stop := context.AfterFunc(ctx, func() { ss.fatal(wire.CodeShuttingDown) })
	defer stop()
	defer ss.logout()
	for {
		var f wire.Frame
		if err := ss.hc.ReadFrame(&f); err != nil {
			if isBadInput(err) {
				ss.s.m.BadInput.WithLabelValues(metrics.BadFrame).Inc()
				ss.fatal(wire.CodeBadFrame)
			} else {
				ss.fatal(0)
			}
			break
		}
		if !ss.dispatch(&f) {
			break
		}
	}
	<-ss.done
}

// fatal ends the session: the writer flushes what is queued, writes an
// Error frame with code (none when code is 0) and closes the connection.
func (ss *session) fatal(code wire.Code) {
	ss.fatalOnce.Do(func() {
		if code != 0 {
			ss.fatalF = &wire.Frame{Error: &wire.Error{Code: code, Message: code.String()}}
		}
		close(ss.closing)
	})
}

// outFrame is a queued frame; slot marks the answer to a Send, which frees
// a send slot once written.
type outFrame struct {
	f    *wire.Frame
	slot bool
}

// takeSlot waits for a free send slot: at most WriteQueue Sends await
// their answer, so that answers always fit the queue (back pressure on this
// connection's reader only). It reports false when the session is closing.
func (ss *session) takeSlot() bool {
	select {
	case ss.slots <- struct{}{}:
		return true
	case <-ss.closing:
		return false
	}
}

// reply queues f for the writer, waiting while the queue is full (back
// pressure on this connection's reader only).
func (ss *session) reply(f *wire.Frame) {
	select {
	case ss.out <- outFrame{f: f}:
	case <-ss.closing:
		ss.s.m.QueueDrops.WithLabelValues(metrics.DropClosed).Inc()
	}
}

// answerSend queues the answer to a Send that holds a slot, without
// waiting (it runs on the store's commit goroutine). The slots guarantee
// room; a full queue would be a counted drop (the sender re-sends; Send is
// idempotent).
func (ss *session) answerSend(f *wire.Frame) {
	select {
	case <-ss.closing:
		ss.s.m.QueueDrops.WithLabelValues(metrics.DropClosed).Inc()
		return
	default:
	}
	select {
	case ss.out <- outFrame{f: f, slot: true}:
	default:
		ss.s.m.QueueDrops.WithLabelValues(metrics.DropQueueFull).Inc()
		<-ss.slots
	}
}

func errorFrame(req uint64, code wire.Code) *wire.Frame {
	return &wire.Frame{Req: req, Error: &wire.Error{Code: code, Message: code.String()}}
}

func sendError(id []byte, code wire.Code) *wire.Frame {
	return &wire.Frame{Error: &wire.Error{Code: code, Message: code.String(), ID: id}}
}

// writeLoop is the writer: queued frames first, then mailbox deliveries.
func (ss *session) writeLoop() {
	defer close(ss.done)
	for {
		select {
		case o := <-ss.out:
			if !ss.writeOut(o) {
				ss.fatal(0)
				ss.finish()
				return
			}
		case <-ss.wake:
			if !ss.pull() {
				ss.fatal(0)
				ss.finish()
				return
			}
		case <-ss.closing:
			ss.finish()
			return
		}
	}
}

func (ss *session) writeOut(o outFrame) bool {
	if o.slot {
		defer func() { <-ss.slots }()
	}
	return ss.write(o.f)
}

func (ss *session) write(f *wire.Frame) bool {
	if err := ss.hc.WriteFrame(f); err != nil {
		ss.s.m.QueueDrops.WithLabelValues(metrics.DropClosed).Inc()
		return false
	}
	return true
}

// flushQueued writes every frame already queued, without waiting for more.
func (ss *session) flushQueued() bool {
	for {
		select {
		case o := <-ss.out:
			if !ss.writeOut(o) {
				return false
			}
		default:
			return true
		}
	}
}

// finish flushes the queue (bounded by flushTimeout), writes the fatal
// Error frame if any, half-closes the stream and closes the connection
// once the peer had a moment to read.
func (ss *session) finish() {
	_ = ss.stream.SetWriteDeadline(time.Now().Add(flushTimeout))
	if ss.flushQueued() && ss.fatalF != nil {
		ss.write(ss.fatalF)
	}
	_ = ss.stream.Close()
	code := wire.Code(0)
	if ss.fatalF != nil {
		code = ss.fatalF.Error.Code
	}
	select {
	case <-ss.conn.Context().Done():
	case <-time.After(lingerClose):
	}
	_ = ss.conn.CloseWithError(quic.ApplicationErrorCode(code), code.String())
	ss.stream.CancelRead(0)
}

// pull writes the user's pending envelopes after the cursor, in order.
// Queued replies (Welcome first of all) go out before each batch.
func (ss *session) pull() bool {
	for {
		if !ss.flushQueued() {
			return false
		}
		user := ss.username()
		if user == "" {
			return true
		}
		if user != ss.cursorUser {
			ss.cursorUser, ss.cursor = user, 0
		}
		envs, err := ss.s.store.Pending(user, ss.cursor, ss.s.now(), pullBatch)
		if err != nil {
			ss.s.cfg.Logger.Error("relay: read mailbox", "err", err)
			return true
		}
		for i := range envs {
			e := &envs[i]
			f := &wire.Frame{Deliver: &wire.Deliver{ID: e.ID[:], From: e.From, Body: e.Body, SentAt: uint64(e.SentAt.UnixMilli())}}
			if !ss.write(f) {
				return false
			}
			ss.cursor = e.Seq
			ss.s.m.MessagesDelivered.Inc()
			ss.s.m.MessageBytes.WithLabelValues(metrics.DirectionOut).Add(float64(len(e.Body)))
		}
		if len(envs) < pullBatch {
			return true
		}
	}
}
