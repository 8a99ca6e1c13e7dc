package link

import (
	"errors"
	"sync/atomic"
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
	c, _ := keepaliveConnPackets(ping)
	return c
}

// packetConn is a frameConn whose QUIC packet count a test sets.
type packetConn struct {
	recordingConn
	received atomic.Uint64
}

func (p *packetConn) Stats() Stats { return Stats{PacketsReceived: p.received.Load()} }

// keepaliveConnPackets is keepaliveConn with the connection's QUIC packet
// count in the test's hands.
func keepaliveConnPackets(ping func(c *Conn, n uint64)) (*Conn, *packetConn) {
	pc := &packetConn{}
	c := newConn(pc, [32]byte{}, secp.PublicKey{}, 8)
	go c.keepalive(testEvery, testSilent, func(n uint64) { ping(c, n) })
	return c, pc
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

// TestBusyRelayGetsMoreTime: after a Ping, QUIC packets keep arriving
// from the relay (it acknowledges, it retransmits) but no frame within
// PongTimeout: an overloaded relay, not a vanished one. Its Pong, read in
// the second period, keeps the connection up.
func TestBusyRelayGetsMoreTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, pc := keepaliveConnPackets(func(*Conn, uint64) {})
		time.Sleep(testEvery + testSilent/2)
		pc.received.Add(1) // the relay's QUIC ACK of the Ping
		time.Sleep(testSilent/2 + time.Second)
		synctest.Wait()
		if err := c.Err(); err != nil {
			t.Fatalf("connection ended with %v one second after PongTimeout while QUIC packets arrived", err)
		}
		c.received.Add(1) // the late Pong
		time.Sleep(2 * testSilent)
		synctest.Wait()
		if err := c.Err(); err != nil {
			t.Fatalf("connection ended with %v after the late Pong", err)
		}
		stopKeepalive(c)
	})
}

// TestQUICPacketsWithoutFramesEndIt: QUIC packets that keep arriving
// without any frame extend a Ping's wait to silentRounds periods, not
// forever (a relay whose QUIC stack answers but whose sessions do not).
func TestQUICPacketsWithoutFramesEndIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, pc := keepaliveConnPackets(func(*Conn, uint64) {})
		stop := make(chan struct{})
		go func() { // a QUIC packet every second, no frame
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Second):
					pc.received.Add(1)
				}
			}
		}()
		defer close(stop)
		time.Sleep(testEvery + (silentRounds-1)*testSilent + time.Second)
		synctest.Wait()
		if err := c.Err(); err != nil {
			t.Fatalf("ended with %v before %d periods", err, silentRounds)
		}
		time.Sleep(testSilent)
		synctest.Wait()
		if err := c.Err(); !errors.Is(err, ErrRelaySilent) {
			t.Fatalf("connection ended with %v after %d silent periods, want ErrRelaySilent", err, silentRounds)
		}
	})
}
