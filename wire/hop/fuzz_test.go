package hop

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/securep2p/securep2p/wire"
)

// FuzzServerHandshake feeds arbitrary client bytes to the relay side.
func FuzzServerHandshake(f *testing.F) {
	v := newVectors(f)
	f.Add(v.clientHello)
	f.Add(append(bytes.Clone(v.clientHello), 0))
	f.Add([]byte{0, 0, 0, 1, 0xa0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	key := fixedKey(f, 0x11)
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := Server(context.Background(), readWriter{bytes.NewReader(in), io.Discard}, v.binding, key)
		if err == nil && c == nil {
			t.Fatal("no error and no conn")
		}
	})
}

// FuzzClientHandshake feeds arbitrary relay bytes to the client side.
func FuzzClientHandshake(f *testing.F) {
	v := newVectors(f)
	f.Add(v.serverHello)
	f.Add(v.serverHello[:50])
	f.Add([]byte{0, 0, 0, 3, 0xa1, 0x18, 0x28})
	f.Fuzz(func(t *testing.T, in []byte) {
		in2 := &fixedInputs{eph: fixedKey(t, 0x22), nonce: v.nonce}
		c, err := client(context.Background(), readWriter{bytes.NewReader(in), io.Discard}, v.binding, fixedKey(t, 0x11).Public(), v.version, in2)
		if err == nil && c == nil {
			t.Fatal("no error and no conn")
		}
	})
}

// FuzzReadSealed feeds arbitrary bytes to an established relay-side Conn.
func FuzzReadSealed(f *testing.F) {
	v := newVectors(f)
	for _, s := range v.c2s {
		f.Add(s.packet)
	}
	f.Add(bytes.Join([][]byte{v.c2s[0].packet, v.c2s[1].packet}, nil))
	f.Add([]byte{0, 0, 0, 24})
	f.Fuzz(func(t *testing.T, in []byte) {
		srv := freshRelayConn(t, v)
		srv.rw = readWriter{bytes.NewReader(in), io.Discard}
		for range 4 {
			var fr wire.Frame
			if err := srv.ReadFrame(&fr); err != nil {
				var again wire.Frame
				if srv.ReadFrame(&again) != err {
					t.Fatal("a read error was not final")
				}
				return
			}
			if err := fr.Validate(); err != nil {
				t.Fatalf("accepted an invalid frame: %v", err)
			}
		}
	})
}

// freshRelayConn is the vectors' relay-side Conn state, counters at 0.
func freshRelayConn(t testing.TB, v *hopVectors) *Conn {
	c, err := newConn(nil, bytes.Clone(v.shared), v.th, fixedKey(t, 0x11).Public(), false)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
