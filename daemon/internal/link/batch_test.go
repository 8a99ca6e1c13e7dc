package link

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

// frameLog is a frameConn of a given protocol version that keeps a decoded
// copy of every frame written (the writer reuses its batch scratch, so a
// pointer would not do). Each frame goes through wire.Marshal and
// wire.Unmarshal, so what it keeps is what a relay would read.
type frameLog struct {
	version uint64
	mu      sync.Mutex
	frames  []*wire.Frame
	flushes int
}

func (l *frameLog) ReadFrame(*wire.Frame) error { select {} }

func (l *frameLog) WriteFrame(f *wire.Frame) error {
	b, err := wire.Marshal(f)
	if err != nil {
		return err
	}
	g := new(wire.Frame)
	if err := wire.Unmarshal(b, g); err != nil {
		return err
	}
	l.mu.Lock()
	l.frames = append(l.frames, g)
	l.mu.Unlock()
	return nil
}

func (l *frameLog) Flush() error {
	l.mu.Lock()
	l.flushes++
	l.mu.Unlock()
	return nil
}

func (l *frameLog) Stats() Stats    { return Stats{} }
func (l *frameLog) Version() uint64 { return l.version }

func (l *frameLog) written() []*wire.Frame {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*wire.Frame(nil), l.frames...)
}

// testID is a 16-byte id whose first two bytes are n.
func testID(n int) []byte {
	id := make([]byte, wire.IDSize)
	id[0], id[1] = byte(n>>8), byte(n)
	return id
}

func ackFrame(n int) *wire.Frame { return &wire.Frame{Ack: &wire.Ack{ID: testID(n)}} }

func sendFrame(n int) *wire.Frame {
	return &wire.Frame{Send: &wire.Send{ID: testID(n), To: "bob", Body: []byte{1},
		IdentityKey: bytes.Repeat([]byte{2}, wire.KeySize)}}
}

// writeAll queues frames on a Conn over fc, then runs the writer's
// wake-up once (what writeLoop does when a frame arrives): every frame is
// queued before the writer looks, so what it merges is exact.
func writeAll(t *testing.T, fc frameConn, frames ...*wire.Frame) *Conn {
	t.Helper()
	c := newConn(fc, [32]byte{}, secp.PublicKey{}, len(frames)+1)
	for _, f := range frames {
		if err := c.TryWrite(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.writeQueued(c.poll()); err != nil {
		t.Fatal(err)
	}
	return c
}

// ackIDs is the ids a written Ack carries, in order ("" when f is no Ack).
func ackIDs(f *wire.Frame) []int {
	if f.Ack == nil {
		return nil
	}
	ids := []int{int(f.Ack.ID[0])<<8 | int(f.Ack.ID[1])}
	for _, m := range f.Ack.More {
		ids = append(ids, int(m[0])<<8|int(m[1]))
	}
	return ids
}

func describe(frames []*wire.Frame) string {
	var b bytes.Buffer
	for _, f := range frames {
		switch {
		case f.Ack != nil:
			fmt.Fprintf(&b, "Ack%v ", ackIDs(f))
		case f.Send != nil:
			fmt.Fprintf(&b, "Send[%d] ", int(f.Send.ID[0])<<8|int(f.Send.ID[1]))
		default:
			fmt.Fprintf(&b, "type%d ", f.Type())
		}
	}
	return b.String()
}

func acks(from, to int) []*wire.Frame {
	var fs []*wire.Frame
	for i := from; i <= to; i++ {
		fs = append(fs, ackFrame(i))
	}
	return fs
}

// TestAcksCoalescedOnV2: on a version-2 connection, Acks queued together
// leave as one Ack carrying every id in queue order, in one flush; the
// next batch reuses the scratch without changing what was written.
func TestAcksCoalescedOnV2(t *testing.T) {
	fl := &frameLog{version: 2}
	writeAll(t, fl, acks(1, 3)...)
	writeAll(t, fl, acks(4, 5)...)
	got := describe(fl.written())
	if want := "Ack[1 2 3] Ack[4 5] "; got != want {
		t.Fatalf("written %q, want %q", got, want)
	}
	if fl.flushes != 2 {
		t.Fatalf("%d flushes, want 2", fl.flushes)
	}
}

// TestAcksSingleOnV1: on a version-1 connection every Ack leaves as
// queued, with one id and no More.
func TestAcksSingleOnV1(t *testing.T) {
	fl := &frameLog{version: 1}
	writeAll(t, fl, acks(1, 3)...)
	fs := fl.written()
	if got, want := describe(fs), "Ack[1] Ack[2] Ack[3] "; got != want {
		t.Fatalf("written %q, want %q", got, want)
	}
	for _, f := range fs {
		if f.Ack.More != nil {
			t.Fatal("an Ack with More on a version-1 connection")
		}
	}
}

// TestAckBatchKeepsFrameOrder: a frame queued between Acks ends the batch
// and leaves right after it: Ack, Ack, Send, Ack -> Ack{2 ids}, Send, Ack.
func TestAckBatchKeepsFrameOrder(t *testing.T) {
	fl := &frameLog{version: 2}
	writeAll(t, fl, ackFrame(1), ackFrame(2), sendFrame(9), ackFrame(3))
	if got, want := describe(fl.written()), "Ack[1 2] Send[9] Ack[3] "; got != want {
		t.Fatalf("written %q, want %q", got, want)
	}
}

// TestAckBatchOnShutdownFlush: the writer's last drain when the
// connection ends (flush) merges Acks as writeQueued does and writes the
// frame that ended a batch right after it, losing nothing.
func TestAckBatchOnShutdownFlush(t *testing.T) {
	fl := &frameLog{version: 2}
	frames := append(acks(1, 5), sendFrame(9), ackFrame(6), ackFrame(7))
	c := newConn(fl, [32]byte{}, secp.PublicKey{}, len(frames)+1)
	for _, f := range frames {
		if err := c.TryWrite(f); err != nil {
			t.Fatal(err)
		}
	}
	c.flush(time.Now().Add(time.Minute))
	if got, want := describe(fl.written()), "Ack[1 2 3 4 5] Send[9] Ack[6 7] "; got != want {
		t.Fatalf("written %q, want %q", got, want)
	}
}

// TestAckBatchCapped: MaxBatchIDs+5 queued Acks leave as two frames, of
// MaxBatchIDs and 5 ids, every id once and in order.
func TestAckBatchCapped(t *testing.T) {
	fl := &frameLog{version: 2}
	n := wire.MaxBatchIDs + 5
	writeAll(t, fl, acks(1, n)...)
	fs := fl.written()
	if len(fs) != 2 {
		t.Fatalf("%d frames written, want 2", len(fs))
	}
	if a, b := len(ackIDs(fs[0])), len(ackIDs(fs[1])); a != wire.MaxBatchIDs || b != 5 {
		t.Fatalf("batches of %d and %d ids, want %d and 5", a, b, wire.MaxBatchIDs)
	}
	want := 1
	for _, f := range fs {
		for _, id := range ackIDs(f) {
			if id != want {
				t.Fatalf("id %d where %d belongs", id, want)
			}
			want++
		}
	}
}

// TestAckBatchNoSteadyAllocs: once its scratch has grown, merging queued
// Acks allocates nothing.
func TestAckBatchNoSteadyAllocs(t *testing.T) {
	c := newConn(&recordingConn{version: 2}, [32]byte{}, secp.PublicKey{}, wire.MaxBatchIDs+1)
	frames := acks(1, wire.MaxBatchIDs)
	allocs := testing.AllocsPerRun(20, func() {
		for _, f := range frames {
			_ = c.TryWrite(f)
		}
		out, next := c.coalesce(c.poll())
		if len(out.Ack.More) != wire.MaxBatchIDs-1 || next != nil {
			t.Fatalf("merged %d more ids, next %v", len(out.Ack.More), next)
		}
		c.releaseBatch(out)
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per batch, want 0", allocs)
	}
}

// readerConn is a frameConn whose ReadFrame returns the frames put into
// in, then fails when in is closed.
type readerConn struct {
	recordingConn
	in chan *wire.Frame
}

var errReaderDone = errors.New("reader conn: no more frames")

func (r *readerConn) ReadFrame(f *wire.Frame) error {
	x, ok := <-r.in
	if !ok {
		return errReaderDone
	}
	*f = *x
	return nil
}

// frameSink is a Handler that counts the frames handed to it.
type frameSink struct {
	mu     sync.Mutex
	frames []*wire.Frame
}

func (s *frameSink) Up(context.Context, *Conn) error { return nil }
func (s *frameSink) Down(*Conn, error)               {}
func (s *frameSink) Frame(_ *Conn, f *wire.Frame) {
	s.mu.Lock()
	s.frames = append(s.frames, f)
	s.mu.Unlock()
}

func (s *frameSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.frames)
}

// readOne runs a reader over a connection of version v that reads f, and
// returns the Conn and the handler.
func readOne(t *testing.T, v uint64, f *wire.Frame) (*Conn, *frameSink) {
	t.Helper()
	rc := &readerConn{recordingConn: recordingConn{version: v}, in: make(chan *wire.Frame, 2)}
	c := newConn(rc, [32]byte{}, secp.PublicKey{}, 8)
	sink := &frameSink{}
	done := make(chan struct{})
	go func() { defer close(done); c.readLoop(sink) }()
	rc.in <- f
	rc.in <- &wire.Frame{Pong: &wire.Pong{N: 1}}
	close(rc.in)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the reader did not stop")
	}
	return c, sink
}

func batchedAccepted() *wire.Frame {
	return &wire.Frame{Accepted: &wire.Accepted{ID: testID(1), More: [][]byte{testID(2)}}}
}

// TestMoreOnV1FailsConn: an Accepted with More on a version-1 connection
// is a protocol violation: the connection fails with errBatchOnV1 and the
// frame never reaches the Handler.
func TestMoreOnV1FailsConn(t *testing.T) {
	c, sink := readOne(t, 1, batchedAccepted())
	if !errors.Is(c.Err(), errBatchOnV1) {
		t.Fatalf("Err() = %v, want errBatchOnV1", c.Err())
	}
	if sink.count() != 0 {
		t.Fatal("the batched Accepted reached the Handler")
	}
}

// TestAckMoreOnV1FailsConn: the same for an Ack with More.
func TestAckMoreOnV1FailsConn(t *testing.T) {
	f := &wire.Frame{Ack: &wire.Ack{ID: testID(1), More: [][]byte{testID(2)}}}
	c, _ := readOne(t, 1, f)
	if !errors.Is(c.Err(), errBatchOnV1) {
		t.Fatalf("Err() = %v, want errBatchOnV1", c.Err())
	}
}

// TestAcceptedMoreOnV2Handled: on version 2 the batched Accepted is the
// Handler's (the connection ends only when the frames run out).
func TestAcceptedMoreOnV2Handled(t *testing.T) {
	c, sink := readOne(t, 2, batchedAccepted())
	if !errors.Is(c.Err(), errReaderDone) {
		t.Fatalf("Err() = %v, want the end of the frames", c.Err())
	}
	if sink.count() != 1 {
		t.Fatalf("the Handler got %d frames, want the batched Accepted", sink.count())
	}
}
