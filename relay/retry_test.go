package relay

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/qlog"
	"github.com/quic-go/quic-go/qlogwriter"

	"github.com/securep2p/securep2p/relay/relaytest/hopclient"
)

// retrySpy is a client-side qlog trace that only notes whether a QUIC
// Retry packet arrived.
type retrySpy struct{ got atomic.Bool }

func (s *retrySpy) AddProducer() qlogwriter.Recorder { return s }
func (s *retrySpy) Close() error                     { return nil }
func (s *retrySpy) RecordEvent(e qlogwriter.Event) {
	if p, ok := e.(qlog.PacketReceived); ok && p.Header.PacketType == qlog.PacketTypeRetry {
		s.got.Store(true)
	}
}

func (s *retrySpy) config() *quic.Config {
	return &quic.Config{MaxIdleTimeout: 30 * time.Second,
		Tracer: func(context.Context, bool, quic.ConnectionID) qlogwriter.Trace { return s }}
}

// TestHandshakeFloodAsksForRetry: while more than RetryAbove handshakes
// are in progress (a flood, simulated by the counter the relay keeps), a
// new connection must first prove its source address with a QUIC Retry
// round trip — and a real client still completes the handshake and logs
// in. Below the threshold no Retry is sent.
func TestHandshakeFloodAsksForRetry(t *testing.T) {
	r := startRelay(t, Config{RetryAbove: 2})
	bob := hopclient.NewUser(t, "bob", 0)

	calm := &retrySpy{}
	c, _ := dialOwn(t, r, calm.config(), true)
	hopclient.MustWelcome(t, c.Register(bob))
	if calm.got.Load() {
		t.Fatal("Retry sent with no handshake flood")
	}

	r.srv.handshaking.Add(3) // three handshakes "in progress": above RetryAbove
	defer r.srv.handshaking.Add(-3)
	flood := &retrySpy{}
	c, _ = dialOwn(t, r, flood.config(), true)
	hopclient.MustWelcome(t, c.Resume(bob))
	if !flood.got.Load() {
		t.Fatal("no Retry while handshakes flood in")
	}
}

// TestHandshakeCountReturnsToZero: the count that triggers Retry covers
// only handshakes in progress: connections that finished theirs, and ones
// that closed, no longer count.
func TestHandshakeCountReturnsToZero(t *testing.T) {
	r := startRelay(t, Config{})
	for range 3 {
		dial(t, r).Sync()
	}
	gone := dial(t, r)
	gone.Sync()
	gone.Conn.CloseWithError(0, "")
	deadline := time.Now().Add(5 * time.Second)
	for r.srv.handshaking.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d handshakes still counted after every handshake finished", r.srv.handshaking.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// cidSpy is a client-side qlog trace noting the length of the destination
// connection ID (the relay's) of each 1-RTT packet the client sends.
type cidSpy struct {
	mu   sync.Mutex
	lens map[int]int
}

func (s *cidSpy) AddProducer() qlogwriter.Recorder { return s }
func (s *cidSpy) Close() error                     { return nil }
func (s *cidSpy) RecordEvent(e qlogwriter.Event) {
	if p, ok := e.(qlog.PacketSent); ok && p.Header.PacketType == qlog.PacketType1RTT {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.lens[p.Header.DestConnectionID.Len()]++
	}
}

// TestRelayConnectionIDsAreLong: the relay's connection IDs are
// connIDLength (16) bytes. With quic-go's default of 4, IDs collided among
// 10,000 connections and quic-go sent one connection's packets elsewhere.
func TestRelayConnectionIDsAreLong(t *testing.T) {
	r := startRelay(t, Config{})
	spy := &cidSpy{lens: map[int]int{}}
	conf := &quic.Config{MaxIdleTimeout: 30 * time.Second,
		Tracer: func(context.Context, bool, quic.ConnectionID) qlogwriter.Trace { return spy }}
	c, _ := dialOwn(t, r, conf, true)
	c.Sync()
	spy.mu.Lock()
	defer spy.mu.Unlock()
	if len(spy.lens) != 1 || spy.lens[connIDLength] == 0 {
		t.Fatalf("lengths of the relay's connection IDs in 1-RTT packets (length: packets): %v, want only %d", spy.lens, connIDLength)
	}
}
