package link

import (
	"context"
	"errors"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/securep2p/securep2p/wire"
)

// recordingConn is a frameConn that keeps the Ping numbers written, in
// order, and yields the processor at some flushes so that writers and the
// writer goroutine interleave.
type recordingConn struct {
	mu      sync.Mutex
	written []uint64
	flushes int
	writers int // goroutines inside WriteFrame/Flush at once (must stay <= 1)
	overlap bool
	failAt  int    // WriteFrame fails from this frame on (0: never)
	version uint64 // negotiated protocol version (0 reads as 1)
}

var errRecordingFailed = errors.New("recording conn: write failed")

func (r *recordingConn) enter() {
	r.mu.Lock()
	r.writers++
	if r.writers > 1 {
		r.overlap = true
	}
	r.mu.Unlock()
}

func (r *recordingConn) leave() {
	r.mu.Lock()
	r.writers--
	r.mu.Unlock()
}

func (r *recordingConn) ReadFrame(*wire.Frame) error { select {} }

func (r *recordingConn) WriteFrame(f *wire.Frame) error {
	r.enter()
	defer r.leave()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failAt > 0 && len(r.written)+1 >= r.failAt {
		return errRecordingFailed
	}
	r.written = append(r.written, f.Ping.N)
	return nil
}

func (r *recordingConn) Flush() error {
	r.enter()
	defer r.leave()
	r.mu.Lock()
	r.flushes++
	n := r.flushes
	r.mu.Unlock()
	if n%3 == 0 {
		runtime.Gosched()
	}
	return nil
}

func (r *recordingConn) Stats() Stats    { return Stats{} }
func (r *recordingConn) Version() uint64 { return r.version }

func (r *recordingConn) frames() []uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]uint64(nil), r.written...)
}

// startWriter runs a Conn's writer over fc, stopped at test end.
func startWriter(t *testing.T, fc frameConn) *Conn {
	t.Helper()
	c := newConn(fc, [32]byte{}, newKey(t).Public(), 8)
	go c.writeLoop(time.Second)
	t.Cleanup(func() { c.fail(nil); <-c.drained })
	return c
}

func ping(n uint64) *wire.Frame { return &wire.Frame{Ping: &wire.Ping{N: n}} }

// TestWriteKeepsOrderOfOneGoroutine: frames written by one goroutine
// leave in order, mixing Write and TryWrite.
func TestWriteKeepsOrderOfOneGoroutine(t *testing.T) {
	rc := &recordingConn{}
	c := startWriter(t, rc)
	const n = 3000
	for i := uint64(1); i <= n; i++ {
		var err error
		if i%4 == 0 {
			for err = c.TryWrite(ping(i)); errors.Is(err, ErrQueueFull); err = c.TryWrite(ping(i)) {
				runtime.Gosched()
			}
		} else {
			err = c.Write(context.Background(), ping(i))
		}
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	c.fail(nil)
	<-c.drained
	got := rc.frames()
	if len(got) != n {
		t.Fatalf("%d frames written, want %d", len(got), n)
	}
	for i, v := range got {
		if v != uint64(i+1) {
			t.Fatalf("frame %d is Ping %d: out of order", i, v)
		}
	}
}

// TestWriteConcurrentWritersOneAtATime: several goroutines writing at once
// never call the frameConn concurrently (it has a single writer), and every
// goroutine's frames keep their order.
func TestWriteConcurrentWritersOneAtATime(t *testing.T) {
	rc := &recordingConn{}
	c := startWriter(t, rc)
	const goroutines, each = 4, 500
	var wg sync.WaitGroup
	for g := range uint64(goroutines) {
		wg.Go(func() {
			for i := range uint64(each) {
				if err := c.Write(context.Background(), ping(g<<32|i)); err != nil {
					t.Errorf("writer %d: %v", g, err)
					return
				}
			}
		})
	}
	wg.Wait()
	c.fail(nil)
	<-c.drained
	got := rc.frames()
	if len(got) != goroutines*each {
		t.Fatalf("%d frames written, want %d", len(got), goroutines*each)
	}
	next := map[uint64]uint64{}
	for _, v := range got {
		g, i := v>>32, v&0xffffffff
		if i != next[g] {
			t.Fatalf("writer %d: frame %d after %d", g, i, next[g])
		}
		next[g]++
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.overlap {
		t.Fatal("two goroutines wrote to the frameConn at once")
	}
}

// TestWriteErrorEndsConnection: a failed write ends the connection, and
// later writes report ErrClosed.
func TestWriteErrorEndsConnection(t *testing.T) {
	rc := &recordingConn{failAt: 3}
	c := startWriter(t, rc)
	for i := uint64(1); i <= 2; i++ {
		if err := c.Write(context.Background(), ping(i)); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	_ = c.Write(context.Background(), ping(3)) // the writer fails on it
	select {
	case <-c.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the connection did not end after a failed write")
	}
	if !errors.Is(c.Err(), errRecordingFailed) {
		t.Fatalf("Err() = %v, want the write failure", c.Err())
	}
	if err := c.Write(context.Background(), ping(4)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write after the failure: %v, want ErrClosed", err)
	}
}

// TestSharedTransport: two links dial from one quic.Transport (one UDP
// socket) and both authenticate to a real relay; the socket outlives them.
func TestSharedTransport(t *testing.T) {
	r := startRelay(t, newKey(t))
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	tr := &quic.Transport{Conn: udp}
	defer func() { _ = tr.Close(); _ = udp.Close() }()
	recs := []*recorder{newRecorder(), newRecorder()}
	var links []*running
	for _, rec := range recs {
		cfg := baseConfig(rec, r.addr)
		cfg.Transport = tr
		links = append(links, run(t, cfg))
	}
	for i, lk := range links {
		waitConnected(t, recs[i], lk.l, r.addr)
		waitFor(t, recs[i], "Up", func() bool {
			recs[i].mu.Lock()
			defer recs[i].mu.Unlock()
			return recs[i].ups == 1
		})
	}
	a, b := links[0].l.Current(), links[1].l.Current()
	if a == nil || b == nil || a.SessionID() == b.SessionID() {
		t.Fatal("want two distinct live connections")
	}
	links[0].stop(t)
	if c := links[1].l.Current(); c == nil {
		t.Fatal("stopping one link ended the other's connection")
	}
	if _, err := udp.WriteToUDP([]byte{0}, udp.LocalAddr().(*net.UDPAddr)); err != nil {
		t.Fatalf("the shared socket was closed with a link: %v", err)
	}
}
