package relay

import (
	"testing"

	"github.com/securep2p/securep2p/wire"
)

// BenchmarkRelayOnline1Pair: one sender and one connected receiver over real
// QUIC with the hop layer; 200-byte bodies; the receiver acks everything.
// A window of 512 unanswered Sends keeps the pipeline full.
func BenchmarkRelayOnline1Pair(b *testing.B) {
	r := startRelay(b, Config{SendRate: 1e9, SendBurst: 1 << 30, MailboxMaxMsgs: 1 << 40, MailboxMaxBytes: 1 << 50})
	bob, alice := newUser(b, "bob", 0), newUser(b, "alice", 0)
	bc := connectAs(b, r, bob, true)
	ac := connectAs(b, r, alice, true)
	body := make([]byte, 200)
	received := make(chan struct{})
	go func() {
		for n := 0; n < b.N; {
			f, ok := <-bc.frames
			if !ok {
				return
			}
			if f.Deliver != nil {
				n++
				bc.hc.WriteFrame(&wire.Frame{Ack: &wire.Ack{ID: f.Deliver.ID}})
			}
		}
		close(received)
	}()
	const window = 512
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	inflight := 0
	for i := 0; i < b.N; i++ {
		if inflight == window {
			if f := ac.next(); f.Accepted == nil {
				b.Fatalf("got %v %v", f.Type(), errCode(f))
			}
			inflight--
		}
		ac.write(&wire.Frame{Send: &wire.Send{ID: newMsgID(), To: "bob", Body: body, IdentityKey: bob.idKey()}})
		inflight++
	}
	for ; inflight > 0; inflight-- {
		ac.next()
	}
	<-received
}
