package link

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/securep2p/securep2p/wire/secp"
)

// The keepalive tests run in a synctest bubble: its clock is fake and
// advances only when every goroutine of the bubble is blocked, so the
// production intervals cost no real time and the order of Pings,
// answers and deadlines is exact.
const (
	testEvery  = 15 * time.Second // the default KeepAlive
	testSilent = 5 * time.Second  // the default PongTimeout
)

// keepaliveConn is a Conn whose keepalive runs with ping; nothing else
// runs on it (no reader, no writer).
func keepaliveConn(ping func(c *Conn, n uint64)) *Conn {
	c := newConn(&recordingConn{}, [32]byte{}, secp.PublicKey{}, 8)
	go c.keepalive(testEvery, testSilent, func(n uint64) { ping(c, n) })
	return c
}

// stopKeepalive ends the connection so that the keepalive goroutine
// exits before the bubble ends.
func stopKeepalive(c *Conn) {
	c.fail(nil)
	synctest.Wait()
}

// TestPongReadBeforeSampleIsAnswer: the Pong of a fast relay can be read
// before the keepalive goroutine runs again after queueing its Ping (a
// loopback round trip takes well under a millisecond; on a busy machine
// the goroutine may wait longer than that for a CPU). That Pong answers
// the Ping: the connection stays up. Before the fix the keepalive read the
// frame counter after queueing the Ping, took such a Pong for an older
// frame and failed the connection with ErrRelaySilent (1-3 of 10,000
// connections per `p2pd bench --idle 10000` run).
func TestPongReadBeforeSampleIsAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pings := 0
		c := keepaliveConn(func(c *Conn, _ uint64) {
			pings++
			c.received.Add(1) // the reader counted the Pong before ping returned
		})
		time.Sleep(3*testEvery + testSilent + time.Second) // three Pings, every deadline passed
		synctest.Wait()
		if err := c.Err(); err != nil {
			t.Fatalf("connection ended with %v after %d answered Pings, want it up", err, pings)
		}
		if pings != 3 {
			t.Fatalf("%d Pings sent, want 3", pings)
		}
		stopKeepalive(c)
	})
}

// TestUnansweredPingIsSilent: a Ping followed by PongTimeout without any
// frame read ends the connection with ErrRelaySilent.
func TestUnansweredPingIsSilent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := keepaliveConn(func(*Conn, uint64) {})
		time.Sleep(testEvery + testSilent + time.Second)
		synctest.Wait()
		if err := c.Err(); !errors.Is(err, ErrRelaySilent) {
			t.Fatalf("connection ended with %v, want ErrRelaySilent", err)
		}
	})
}

// TestFrameReadBeforePingIsNoAnswer: a frame read before the Ping was
// queued does not answer it: without anything read afterwards the
// connection still ends with ErrRelaySilent.
func TestFrameReadBeforePingIsNoAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := keepaliveConn(func(*Conn, uint64) {})
		time.Sleep(testEvery - time.Second)
		c.received.Add(1) // one second before the first Ping
		time.Sleep(testSilent + 2*time.Second)
		synctest.Wait()
		if err := c.Err(); !errors.Is(err, ErrRelaySilent) {
			t.Fatalf("connection ended with %v, want ErrRelaySilent", err)
		}
	})
}
