package link

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

// laneID is a 16-byte id whose first four bytes are n.
func laneID(n int) []byte {
	id := make([]byte, wire.IDSize)
	binary.BigEndian.PutUint32(id, uint32(n))
	return id
}

// laneIDs is the ids (laneID numbers) the Acks among frames carry, in
// order, and the number of Ack frames.
func laneIDs(frames []*wire.Frame) (ids []int, ackFrames int) {
	for _, f := range frames {
		if f.Ack == nil {
			continue
		}
		ackFrames++
		for _, id := range append([][]byte{f.Ack.ID}, f.Ack.More...) {
			ids = append(ids, int(binary.BigEndian.Uint32(id)))
		}
	}
	return ids, ackFrames
}

// checkSequence fails unless ids is from, from+1, ..., to.
func checkSequence(t *testing.T, ids []int, from, to int) {
	t.Helper()
	if len(ids) != to-from+1 {
		t.Fatalf("%d ids acked, want %d", len(ids), to-from+1)
	}
	for i, id := range ids {
		if id != from+i {
			t.Fatalf("ack %d is id %d, want %d (lost, repeated or reordered)", i, id, from+i)
		}
	}
}

// ackAll puts ids from..to into c's Ack lane.
func ackAll(t *testing.T, c *Conn, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		if err := c.Ack(laneID(i)); err != nil {
			t.Fatalf("Ack %d: %v", i, err)
		}
	}
}

// gatedLog is a frameLog whose WriteFrame blocks until gate is closed,
// after telling entered (once) that the writer is inside: a writer stuck
// on a relay that does not read.
type gatedLog struct {
	frameLog
	gate    chan struct{}
	entered chan struct{}
	once    sync.Once
	opened  sync.Once
}

// open lets the writer through (idempotent).
func (g *gatedLog) open() { g.opened.Do(func() { close(g.gate) }) }

func (g *gatedLog) WriteFrame(f *wire.Frame) error {
	g.once.Do(func() { close(g.entered) })
	<-g.gate
	return g.frameLog.WriteFrame(f)
}

// waitWritten waits until what fl holds satisfies done.
func waitWritten(t *testing.T, fl *frameLog, what string, done func([]*wire.Frame) bool) []*wire.Frame {
	t.Helper()
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		fs := fl.written()
		if done(fs) {
			return fs
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("gave up waiting for %s; written: %d frames", what, len(fs))
		}
	}
}

// TestAckNotDroppedWhenQueueFull: with the frame queue full of Sends and
// the writer stuck in a write, 1,000 Acks through the lane all succeed
// (where TryWrite fails with ErrQueueFull); once the writer runs, every
// id is written exactly once, in order, before the queued Sends.
func TestAckNotDroppedWhenQueueFull(t *testing.T) {
	const queue, n = 256, 1000
	gl := &gatedLog{frameLog: frameLog{version: 2}, gate: make(chan struct{}), entered: make(chan struct{})}
	c := newConn(gl, [32]byte{}, secp.PublicKey{}, queue)
	go c.writeLoop(time.Minute)
	t.Cleanup(func() { gl.open(); c.fail(nil); <-c.drained })
	if err := c.Write(context.Background(), sendFrame(0)); err != nil {
		t.Fatal(err)
	}
	<-gl.entered // the writer holds Send 0 and waits in WriteFrame
	for i := 1; i <= queue; i++ {
		if err := c.Write(context.Background(), sendFrame(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.TryWrite(ackFrame(1)); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("TryWrite on a full queue: %v, want ErrQueueFull", err)
	}
	ackAll(t, c, 1, n)
	gl.open()
	fs := waitWritten(t, &gl.frameLog, "every Send and Ack", func(fs []*wire.Frame) bool {
		ids, ackFrames := laneIDs(fs)
		return len(ids) >= n && len(fs)-ackFrames >= queue+1
	})
	ids, ackFrames := laneIDs(fs)
	checkSequence(t, ids, 1, n)
	if len(fs) != queue+1+ackFrames {
		t.Fatalf("%d frames written, want %d Sends and %d Acks", len(fs), queue+1, ackFrames)
	}
	for i, f := range fs {
		if isAck := i >= 1 && i <= ackFrames; (f.Ack != nil) != isAck {
			t.Fatalf("frame %d: want Send[0], the %d Acks, then the queued Sends; got %.80s...", i, ackFrames, describe(fs))
		}
	}
}

// TestAckLaneWakesWriter: an Ack on an idle connection (nothing queued)
// wakes the writer, which writes it.
func TestAckLaneWakesWriter(t *testing.T) {
	fl := &frameLog{version: 2}
	c := newConn(fl, [32]byte{}, secp.PublicKey{}, 1)
	go c.writeLoop(time.Minute)
	t.Cleanup(func() { c.fail(nil); <-c.drained })
	ackAll(t, c, 1, 1)
	fs := waitWritten(t, fl, "the Ack", func(fs []*wire.Frame) bool { return len(fs) == 1 })
	ids, _ := laneIDs(fs)
	checkSequence(t, ids, 1, 1)
}

// TestAckLaneBatchedOnV2: on version 2, 600 lane Acks leave as Acks of
// 256, 256 and 88 ids, in order, in one flush.
func TestAckLaneBatchedOnV2(t *testing.T) {
	fl := &frameLog{version: 2}
	c := newConn(fl, [32]byte{}, secp.PublicKey{}, 1)
	ackAll(t, c, 1, 600)
	if err := c.writeQueued(nil); err != nil {
		t.Fatal(err)
	}
	fs := fl.written()
	var sizes []int
	for _, f := range fs {
		sizes = append(sizes, 1+len(f.Ack.More))
	}
	if got, want := fmt.Sprint(sizes), "[256 256 88]"; got != want {
		t.Fatalf("Acks of %s ids, want %s", got, want)
	}
	ids, _ := laneIDs(fs)
	checkSequence(t, ids, 1, 600)
	if fl.flushes != 1 {
		t.Fatalf("%d flushes, want 1", fl.flushes)
	}
}

// TestAckLaneSingleOnV1: on version 1 every lane Ack leaves as an Ack of
// one id without More, in order.
func TestAckLaneSingleOnV1(t *testing.T) {
	fl := &frameLog{version: 1}
	c := newConn(fl, [32]byte{}, secp.PublicKey{}, 1)
	ackAll(t, c, 1, 300)
	if err := c.writeQueued(nil); err != nil {
		t.Fatal(err)
	}
	fs := fl.written()
	for _, f := range fs {
		if f.Ack == nil || f.Ack.More != nil {
			t.Fatalf("frame %s on version 1, want single-id Acks", describe([]*wire.Frame{f}))
		}
	}
	ids, _ := laneIDs(fs)
	checkSequence(t, ids, 1, 300)
}

// TestAckLaneOvertakesQueue: the writer serves the lane before the frame
// it took from the queue, and queued Acks still merge among themselves
// after it: lane 1,2; queue Send 9, Ack 5, Ack 6, Send 10.
func TestAckLaneOvertakesQueue(t *testing.T) {
	fl := &frameLog{version: 2}
	c := newConn(fl, [32]byte{}, secp.PublicKey{}, 8)
	for _, f := range []*wire.Frame{sendFrame(9), ackFrame(5), ackFrame(6), sendFrame(10)} {
		if err := c.TryWrite(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Ack(testID(1)); err != nil {
		t.Fatal(err)
	}
	if err := c.Ack(testID(2)); err != nil {
		t.Fatal(err)
	}
	if err := c.writeQueued(c.poll()); err != nil {
		t.Fatal(err)
	}
	if got, want := describe(fl.written()), "Ack[1 2] Send[9] Ack[5 6] Send[10] "; got != want {
		t.Fatalf("written %q, want %q", got, want)
	}
}

// TestAckLaneDrainedOnShutdown: Acks pending in the lane when the
// connection ends are written by the shutdown flush, ahead of the queued
// frames; Ack on the ended connection reports ErrClosed.
func TestAckLaneDrainedOnShutdown(t *testing.T) {
	fl := &frameLog{version: 2}
	c := newConn(fl, [32]byte{}, secp.PublicKey{}, 4)
	if err := c.TryWrite(sendFrame(9)); err != nil {
		t.Fatal(err)
	}
	ackAll(t, c, 1, 300)
	c.fail(nil)
	c.flush(time.Now().Add(time.Minute))
	fs := fl.written()
	ids, ackFrames := laneIDs(fs)
	checkSequence(t, ids, 1, 300)
	if ackFrames != 2 || len(fs) != 3 || fs[2].Send == nil {
		t.Fatalf("written %.60s..., want two Acks then Send[9]", describe(fs))
	}
	if err := c.Ack(laneID(301)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Ack after the end: %v, want ErrClosed", err)
	}
}

// TestAckLaneBound: the lane takes maxPendingAcks ids, refuses the next
// with ErrQueueFull, and writes every id it took once, in order; then it
// takes Acks again.
func TestAckLaneBound(t *testing.T) {
	fl := &frameLog{version: 2}
	c := newConn(fl, [32]byte{}, secp.PublicKey{}, 1)
	ackAll(t, c, 1, maxPendingAcks)
	if err := c.Ack(laneID(maxPendingAcks + 1)); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("Ack beyond the bound: %v, want ErrQueueFull", err)
	}
	if err := c.writeQueued(nil); err != nil {
		t.Fatal(err)
	}
	ids, _ := laneIDs(fl.written())
	checkSequence(t, ids, 1, maxPendingAcks)
	if err := c.Ack(laneID(maxPendingAcks + 1)); err != nil {
		t.Fatalf("Ack after the lane drained: %v", err)
	}
}

// TestAckLaneRejectsBadID: an id that is not wire.IDSize bytes is refused
// (it would make the writer's frame unencodable and end the connection).
func TestAckLaneRejectsBadID(t *testing.T) {
	c := newConn(&frameLog{version: 2}, [32]byte{}, secp.PublicKey{}, 1)
	if err := c.Ack(make([]byte, wire.IDSize-1)); !errors.Is(err, errAckID) {
		t.Fatalf("Ack of a 15-byte id: %v, want errAckID", err)
	}
	if c.acks.count.Load() != 0 {
		t.Fatal("the bad id entered the lane")
	}
}

// TestAckLaneConcurrent (meant for -race): four goroutines ack while two
// others write Sends and the writer runs; every ack id is written once and
// each goroutine's ids in its call order.
func TestAckLaneConcurrent(t *testing.T) {
	fl := &frameLog{version: 2}
	c := newConn(fl, [32]byte{}, secp.PublicKey{}, 16)
	go c.writeLoop(time.Minute)
	const ackers, each, senders, sends = 4, 2000, 2, 300
	var wg sync.WaitGroup
	for g := range ackers {
		wg.Go(func() {
			for i := range each {
				if err := c.Ack(laneID(g<<16 | i)); err != nil {
					t.Errorf("acker %d: %v", g, err)
					return
				}
			}
		})
	}
	for s := range senders {
		wg.Go(func() {
			for i := range sends {
				if err := c.Write(context.Background(), sendFrame(s*sends+i)); err != nil {
					t.Errorf("sender %d: %v", s, err)
					return
				}
			}
		})
	}
	wg.Wait()
	c.fail(nil)
	<-c.drained
	fs := fl.written()
	ids, ackFrames := laneIDs(fs)
	if len(ids) != ackers*each || len(fs)-ackFrames != senders*sends {
		t.Fatalf("%d ids and %d Sends written, want %d and %d", len(ids), len(fs)-ackFrames, ackers*each, senders*sends)
	}
	next := make([]int, ackers)
	for _, id := range ids {
		g, i := id>>16, id&0xffff
		if i != next[g] {
			t.Fatalf("acker %d: id %d where %d belongs", g, i, next[g])
		}
		next[g]++
	}
}

// discardConn is a frameConn that drops what is written.
type discardConn struct{ recordingConn }

func (*discardConn) WriteFrame(*wire.Frame) error { return nil }

// TestAckLaneNoSteadyAllocs: once its buffers have grown, acking and
// writing a batch through the lane allocates nothing.
func TestAckLaneNoSteadyAllocs(t *testing.T) {
	c := newConn(&discardConn{recordingConn{version: 2}}, [32]byte{}, secp.PublicKey{}, 1)
	id := laneID(1)
	allocs := testing.AllocsPerRun(20, func() {
		for range wire.MaxBatchIDs {
			_ = c.Ack(id)
		}
		if err := c.writeAcks(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per batch, want 0", allocs)
	}
}

// BenchmarkAckLane is the cost per id of acking through the lane and
// writing the batches (version 2, a frameConn that drops the frames).
func BenchmarkAckLane(b *testing.B) {
	c := newConn(&discardConn{recordingConn{version: 2}}, [32]byte{}, secp.PublicKey{}, 1)
	id := laneID(1)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = c.Ack(id)
		if i%wire.MaxBatchIDs == wire.MaxBatchIDs-1 {
			_ = c.writeAcks()
		}
	}
}
