package relay

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/securep2p/securep2p/metrics"
	"github.com/securep2p/securep2p/relay/store"
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
// is the only one touching hc.WriteFrame and bs's write buffer. The
// writer runs only while there is something to write: it exits when idle
// for writerLinger and whoever queues work next starts it again (kick), so
// an idle connection holds one goroutine of ours, not two (a busy one
// keeps its writer, and its grown stack). Lock order: liveMu is a
// leaf (held only to append to or swap pushQ and answers).
type session struct {
	s      *Server
	conn   *quic.Conn
	stream *quic.Stream
	bs     *hop.Stream
	hc     *hop.Conn
	ip     string
	ctx    context.Context // the connection's lifetime: ends when it closes

	out     chan queued   // bounded write queue (replies)
	tokens  chan struct{} // send window: Sends awaiting their answer (see takeTokens)
	wake    chan struct{} // cap 1: the mailbox may have news
	live    chan struct{} // cap 1: pushQ or answers have entries
	closing chan struct{} // closed by fatal: writer flushes and closes
	done    chan struct{} // closed when the writer has finished
	writeMu sync.Mutex    // guards writing (kick, and a writer exiting idle)
	writing bool          // a writer goroutine is running

	liveMu  sync.Mutex
	pushQ   []*store.Envelope // live envelopes in Seq order (bounded); guarded by liveMu
	answers []answer          // answers to Sends (bounded by tokens); guarded by liveMu
	spare   []*store.Envelope // writer only: the other pushQ buffer
	spareA  []answer          // writer only: the other answers buffer

	fatalOnce sync.Once
	fatalF    *wire.Frame

	user     atomic.Pointer[string] // nil: unauthenticated
	detach   func()                 // reader only
	attached atomic.Uint64          // in-process router: this session's attachment; 0 when not its user's target

	sendLim, fetchLim bucket                       // reader only
	keys              keyCache                     // reader only
	ackDone           func(store.AckResult, error) // reader only: the Ack callback (mail.go), made once

	scratch  scratchFrames // writer only
	linger   *time.Timer   // writer only: ends an idle writer (see serve); nil until first needed
	welcomed *string       // writer only: the login (ss.user value) whose Welcome was written last
	cursorOf *string       // writer only: the login (ss.user value) the cursor belongs to
	cursor   uint64        // writer only: last Seq written
	needPull bool          // writer only: read the mailbox before sleeping
	heldSeq  uint64        // writer only: the last pull stopped before this Seq, held elsewhere (pushed.go); 0: none

	retry      *time.Timer   // writer only: wakes the writer to retry a failed mailbox read (deliver.go); nil until needed
	retryDelay time.Duration // writer only: the retry's current delay; 0: none scheduled
}

func newSession(s *Server, conn *quic.Conn, stream *quic.Stream, bs *hop.Stream, hc *hop.Conn) *session {
	return &session{s: s, conn: conn, stream: stream, bs: bs, hc: hc, ip: addrKey(conn.RemoteAddr()), ctx: conn.Context(),
		out: make(chan queued, s.cfg.WriteQueue), tokens: make(chan struct{}, sendTokens),
		wake: make(chan struct{}, 1), live: make(chan struct{}, 1),
		closing: make(chan struct{}), done: make(chan struct{})}
}

// Notify implements [Notifier].
func (ss *session) Notify() {
	select {
	case ss.wake <- struct{}{}:
	default:
	}
	ss.kick()
}

// kick starts the writer unless one is running. Everything that gives the
// writer work (out, wake, live, closing) calls it after queueing the work.
// A writer exits idle only after it found the channels empty under
// writeMu (writeLoop): a kick taking writeMu before that exit leaves work
// the writer then sees, one taking it after finds writing false. The
// mutex, not atomics alone, orders the producers' queueing before the
// writer's look at the channels (len is not a synchronizing operation).
func (ss *session) kick() {
	ss.writeMu.Lock()
	start := !ss.writing
	ss.writing = true
	ss.writeMu.Unlock()
	if start {
		go ss.writeLoop()
	}
}

// writerRunning reports whether a writer goroutine is running (tests).
func (ss *session) writerRunning() bool {
	ss.writeMu.Lock()
	defer ss.writeMu.Unlock()
	return ss.writing
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
	stop := context.AfterFunc(ctx, func() { ss.fatal(wire.CodeShuttingDown) })
	defer stop()
	defer ss.logout()
	var f wire.Frame // one per session (it escapes), cleared for every frame; handlers keep only its payloads
	for {
		f = wire.Frame{}
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
	ss.kick()
}

// queued is a reply for the writer. login is set on a Welcome: the writer
// delivers to that login only once it wrote the Welcome (auth.go).
type queued struct {
	f     *wire.Frame
	login *string
}

// reply queues f for the writer, waiting while the queue is full (back
// pressure on this connection's reader only).
func (ss *session) reply(f *wire.Frame) { ss.enqueue(queued{f: f}) }

func (ss *session) enqueue(q queued) {
	select {
	case ss.out <- q:
		ss.kick()
	case <-ss.closing:
		ss.s.m.QueueDrops.WithLabelValues(metrics.DropClosed).Inc()
	}
}

func errorFrame(req uint64, code wire.Code) *wire.Frame {
	return &wire.Frame{Req: req, Error: &wire.Error{Code: code, Message: code.String()}}
}

func sendError(id []byte, code wire.Code) *wire.Frame {
	return &wire.Frame{Error: &wire.Error{Code: code, Message: code.String(), ID: id}}
}

// What serve stopped for (writerBusy: it goes on).
const (
	writerBusy    = iota
	writerIdle    // nothing to write for writerLinger: the goroutine may exit
	writerClosing // the session closes: finish
	writerFailed  // a write failed: close the session
)

// writeLoop is the writer: queued frames first, then live envelopes and
// mailbox reads in Seq order. It flushes the stream buffer only when it
// has nothing more to write, so bursts leave in few stream Writes. Idle,
// it exits (kick starts the next one); its state is in the session. The
// writer that sees the session closing finishes it and closes done, and
// leaves writing set: no writer starts after that.
func (ss *session) writeLoop() {
	for {
		switch ss.serve() {
		case writerIdle:
			if ss.exitIdle() {
				return
			}
		case writerFailed:
			ss.fatal(0)
			fallthrough
		default:
			ss.finish()
			close(ss.done)
			return
		}
	}
}

// exitIdle ends an idle writer unless work was queued since it last
// looked (see kick).
func (ss *session) exitIdle() bool {
	if hook := ss.s.idleExit.Load(); hook != nil {
		(*hook)(ss)
	}
	ss.writeMu.Lock()
	defer ss.writeMu.Unlock()
	if ss.hasWork() {
		return false
	}
	ss.writing = false
	return true
}

// hasWork reports whether anything was queued for the writer (or the
// session is closing) since it last looked.
func (ss *session) hasWork() bool {
	select {
	case <-ss.closing:
		return true
	default:
	}
	return len(ss.out) > 0 || len(ss.wake) > 0 || len(ss.live) > 0
}

// serve writes until there is nothing left to write or the session
// closes.
func (ss *session) serve() int {
	for {
		select {
		case <-ss.closing:
			return writerClosing
		default:
		}
		if !ss.flushQueued() || !ss.writeAnswers() {
			return writerFailed
		}
		// A login whose Welcome is still queued gets nothing yet: the live
		// queue keeps its envelopes, the Welcome's write asks for a read.
		pending := ss.loginPending()
		if !pending && !ss.deliverPushed() {
			return writerFailed
		}
		if ss.needPull && !pending {
			ss.needPull = false
			if !ss.pull(0) {
				return writerFailed
			}
			continue
		}
		if !ss.flush() {
			return writerFailed
		}
		if st := ss.await(); st != writerBusy {
			return st
		}
	}
}

// await waits for the next work: a reply (written here), a mailbox wake,
// live envelopes or answers (serve's next round takes them) or the
// session closing. After writerLinger without any it reports writerIdle.
func (ss *session) await() int {
	if ss.linger == nil {
		ss.linger = time.NewTimer(ss.s.cfg.writerLinger)
	} else {
		ss.linger.Reset(ss.s.cfg.writerLinger)
	}
	defer ss.linger.Stop()
	select {
	case q := <-ss.out:
		return ss.written(q)
	case <-ss.wake:
		ss.needPull = true
	case <-ss.live:
	case <-ss.closing:
	case <-ss.linger.C:
		return writerIdle
	}
	return writerBusy
}

// written writes a reply taken from the queue.
func (ss *session) written(q queued) int {
	if !ss.writeQueued(q) {
		return writerFailed
	}
	return writerBusy
}

// writeQueued writes a reply; a Welcome's login becomes the one the
// writer delivers to, starting with a mailbox read.
func (ss *session) writeQueued(q queued) bool {
	if !ss.write(q.f) {
		return false
	}
	if q.login != nil {
		ss.welcomed, ss.needPull = q.login, true
	}
	return true
}

// loginPending reports whether a login's Welcome is not yet written.
func (ss *session) loginPending() bool {
	p := ss.user.Load()
	return p != nil && p != ss.welcomed
}

func (ss *session) write(f *wire.Frame) bool {
	if err := ss.hc.WriteFrame(f); err != nil {
		ss.s.m.QueueDrops.WithLabelValues(metrics.DropClosed).Inc()
		return false
	}
	return true
}

// scratchFrames are payloads the writer reuses for every Deliver and
// Accepted, and the backing array of a batched Accepted's More (written,
// then cleared: nothing keeps a reference).
type scratchFrames struct {
	frame    wire.Frame
	deliver  wire.Deliver
	accepted wire.Accepted
	more     [][]byte // the ids of accepted.More (answer.go)
}

// writeScratch writes f through the reused frame struct.
func (ss *session) writeScratch(f *wire.Frame) bool {
	ss.scratch.frame = *f
	ok := ss.write(&ss.scratch.frame)
	ss.scratch.frame = wire.Frame{}
	return ok
}

func (ss *session) flush() bool {
	if err := ss.bs.Flush(); err != nil {
		ss.s.m.QueueDrops.WithLabelValues(metrics.DropClosed).Inc()
		return false
	}
	return true
}

// flushQueued writes every frame already queued, without waiting for more.
func (ss *session) flushQueued() bool {
	for {
		select {
		case q := <-ss.out:
			if !ss.writeQueued(q) {
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
	ss.flush()
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
