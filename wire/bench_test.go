package wire_test

import (
	"testing"

	"github.com/securep2p/securep2p/wire"
)

func send200() *wire.Frame {
	s := *goldens["send"].Send
	s.Body = fill(200, 0)
	return &wire.Frame{Send: &s}
}

func BenchmarkMarshalSend200(b *testing.B) {
	f := send200()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wire.Marshal(f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshalSend200(b *testing.B) {
	buf, err := wire.Marshal(send200())
	if err != nil {
		b.Fatal(err)
	}
	var f wire.Frame
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if err := wire.Unmarshal(buf, &f); err != nil {
			b.Fatal(err)
		}
	}
}

// ackBatch returns an Ack carrying n ids (ID plus n-1 in More).
func ackBatch(n int) *wire.Frame {
	a := &wire.Ack{ID: fill(wire.IDSize, 0)}
	for i := 1; i < n; i++ {
		a.More = append(a.More, fill(wire.IDSize, byte(i)))
	}
	return &wire.Frame{Ack: a}
}

// benchAckRoundTrip encodes f into a reused buffer and decodes it, as a
// connection's writer and the peer's reader do; ns/id is the cost per
// acknowledged message.
func benchAckRoundTrip(b *testing.B, f *wire.Frame, ids int) {
	buf := make([]byte, 0, 8192)
	var got wire.Frame
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = wire.AppendFrame(buf[:0], f); err != nil {
			b.Fatal(err)
		}
		if err := wire.Unmarshal(buf, &got); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*ids), "ns/id")
}

// BenchmarkAckSingle: one Ack per message (version 1).
func BenchmarkAckSingle(b *testing.B) { benchAckRoundTrip(b, ackBatch(1), 1) }

// BenchmarkAckBatch64: one Ack for 64 messages (version 2).
func BenchmarkAckBatch64(b *testing.B) { benchAckRoundTrip(b, ackBatch(64), 64) }
