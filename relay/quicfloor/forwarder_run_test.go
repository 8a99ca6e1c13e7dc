package quicfloor

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"
)

const testTimeout = 30 * time.Second

// startForwarder runs a forwarder in this process (the benchmarks run the
// same code in a child) until the test ends.
func startForwarder(t *testing.T, m mode) string {
	t.Helper()
	tr, ln, err := listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go newForwarder(m).serve(ctx, ln)
	t.Cleanup(func() { cancel(); _ = tr.Close(); _ = tr.Conn.Close() })
	return ln.Addr().String()
}

func testPingPong(t *testing.T, m mode) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cs, err := dialAll(ctx, startForwarder(t, m), 8, m)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(cs)
	r, err := runPingPong(ctx, cs, 50, benchSize)
	if err != nil {
		t.Fatal(err)
	}
	if r.msgs != 400 || len(r.rtts) != 200 {
		t.Fatalf("%d messages, %d round trips; want 400, 200", r.msgs, len(r.rtts))
	}
	// Each pinger's last Accepted may still be on its way.
	if m.acks && cs[0].nAccepted < 49 {
		t.Fatalf("pinger got %d Accepted for 50 messages", cs[0].nAccepted)
	}
}

func TestForwarderPingPongPlain(t *testing.T)  { testPingPong(t, mode{}) }
func TestForwarderPingPongSealed(t *testing.T) { testPingPong(t, mode{sealed: true}) }
func TestForwarderPingPongWriter(t *testing.T) { testPingPong(t, mode{writer: true}) }
func TestForwarderPingPongSealedWriter(t *testing.T) {
	testPingPong(t, mode{sealed: true, writer: true})
}
func TestForwarderPingPongAcks(t *testing.T) { testPingPong(t, mode{acks: true}) }
func TestForwarderPingPongSealedWriterAcks(t *testing.T) {
	testPingPong(t, mode{sealed: true, writer: true, acks: true})
}

// testInOrder sends a burst of messages one way without waiting: each must
// arrive intact, in order, at the partner and only there.
func testInOrder(t *testing.T, m mode) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cs, err := dialAll(ctx, startForwarder(t, m), 4, m)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(cs)
	stop := context.AfterFunc(ctx, func() { closeAll(cs) })
	defer stop()
	const n = 500
	errc := make(chan error, 2)
	go func() { errc <- burst(cs[0], 0, n) }()
	go func() { errc <- burst(cs[3], 1, n) }()
	for _, rc := range []struct{ c, pair int }{{1, 0}, {2, 1}} {
		if err := expect(cs[rc.c], rc.pair, n); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
}

func burst(c *client, pair, n int) error {
	msg := make([]byte, benchSize)
	for seq := range n {
		fillMsg(msg, pair, seq)
		if err := c.send(msg); err != nil {
			return err
		}
	}
	return nil
}

func expect(c *client, pair, n int) error {
	want := make([]byte, benchSize)
	for seq := range n {
		got, err := c.recv()
		if err != nil {
			return err
		}
		if fillMsg(want, pair, seq); !bytes.Equal(got, want) {
			return fmt.Errorf("pair %d: message %d differs or out of order", pair, seq)
		}
	}
	return nil
}

func TestForwarderInOrderPlain(t *testing.T)  { testInOrder(t, mode{}) }
func TestForwarderInOrderSealed(t *testing.T) { testInOrder(t, mode{sealed: true}) }
func TestForwarderInOrderWriter(t *testing.T) { testInOrder(t, mode{writer: true}) }

func TestPercentile(t *testing.T) {
	s := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 5}, {0.9, 9}, {0.99, 10}, {1, 10}} {
		if got := percentile(s, c.q); got != c.want {
			t.Errorf("percentile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
}
