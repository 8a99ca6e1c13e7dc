package wire_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/securep2p/securep2p/wire"
)

// FuzzUnmarshal: decoding never panics, and whatever decodes re-encodes to
// exactly the input bytes (one byte form per frame).
func FuzzUnmarshal(f *testing.F) {
	for _, name := range sortedGoldenNames() {
		f.Add(readGolden(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fr wire.Frame
		if err := wire.Unmarshal(b, &fr); err != nil {
			return
		}
		again, err := wire.Marshal(&fr)
		if err != nil {
			t.Fatalf("decoded frame does not re-encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n in  %x\n out %x", b, again)
		}
	})
}

// FuzzReadPacket: never panics, never returns more than max bytes, and what
// it returns is the declared body.
func FuzzReadPacket(f *testing.F) {
	const max = 1024
	for _, name := range sortedGoldenNames() {
		pkt, _ := wire.AppendPacket(nil, readGolden(f, name), max)
		f.Add(pkt)
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := wire.ReadPacket(bytes.NewReader(b), nil, max)
		if err != nil {
			return
		}
		n := int(binary.BigEndian.Uint32(b))
		if len(got) > max || len(got) != n || !bytes.Equal(got, b[4:4+n]) {
			t.Fatalf("ReadPacket returned %d bytes for a declared %d", len(got), n)
		}
		pkt, err := wire.AppendPacket(nil, got, max)
		if err != nil || !bytes.Equal(pkt, b[:4+n]) {
			t.Fatalf("AppendPacket does not reproduce the packet: %v", err)
		}
	})
}
