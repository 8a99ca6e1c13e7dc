package cluster

import (
	"testing"

	"github.com/securep2p/securep2p/relay/relaytest/hopclient"
	"github.com/securep2p/securep2p/wire"
)

// BenchmarkMessages: a sender and a connected, acking recipient over real
// QUIC with the hop layer, 200-byte bodies, a window of 256 unanswered
// Sends. "single-node" is one relay on its embedded bbolt store;
// "two-nodes" puts the sender on relay node 1 and the recipient on node 2
// of a three-server NATS cluster (R3). Both report msg/s.
func BenchmarkMessages(b *testing.B) {
	b.Run("single-node", func(b *testing.B) {
		r := startRelayNode(b, nil, newRelayKey(b))
		benchPair(b, r, r)
	})
	b.Run("two-nodes", func(b *testing.B) {
		nc, key := sharedNATS(b), newRelayKey(b)
		r1 := startRelayNode(b, nc.open(b, Config{}), key)
		r2 := startRelayNode(b, nc.open(b, Config{URLs: append(nc.urls[1:], nc.urls[0])}), key)
		benchPair(b, r1, r2)
	})
}

func benchPair(b *testing.B, from, to *relayNode) {
	alice, bob := uniqueUser(b, "alice", 0), uniqueUser(b, "bob", 0)
	pin := from.srv.PublicKey()
	bc := hopclient.Connect(b, to.addr, pin, bob, true)
	ac := hopclient.Connect(b, from.addr, pin, alice, true)
	body := make([]byte, 200)
	received := make(chan struct{})
	go func() {
		defer close(received)
		for n := 0; n < b.N; {
			f, ok := <-bc.Frames
			if !ok {
				return
			}
			if f.Deliver != nil {
				n++
				bc.Hop.WriteFrame(&wire.Frame{Ack: &wire.Ack{ID: f.Deliver.ID}})
			}
		}
	}()
	const window = 256
	b.ResetTimer()
	inflight := 0
	for i := 0; i < b.N; i++ {
		for inflight >= window {
			inflight -= accepted(b, ac.Next())
		}
		ac.Write(&wire.Frame{Send: &wire.Send{ID: hopclient.NewMsgID(), To: bob.Name, Body: body, IdentityKey: bob.IDKey()}})
		inflight++
	}
	for inflight > 0 {
		inflight -= accepted(b, ac.Next())
	}
	<-received
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
}

// accepted returns how many ids f accepts (one Accepted may carry many on
// version 2), failing the benchmark unless f is an Accepted.
func accepted(b *testing.B, f *wire.Frame) int {
	ids := hopclient.AcceptedIDs(f)
	if ids == nil {
		b.Fatalf("got %v %v", f.Type(), hopclient.ErrCode(f))
	}
	return len(ids)
}
