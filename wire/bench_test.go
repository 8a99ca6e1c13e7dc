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
