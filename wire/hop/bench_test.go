package hop

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"testing"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

var benchSizes = []int{64, 200, 1024, 16384}

// benchPair is a sealer and an opener sharing one key (one direction).
func benchPair(b *testing.B) (*sealer, *opener) {
	key := bytes.Repeat([]byte{0x42}, keySize)
	sa, err := newAEAD(bytes.Clone(key))
	if err != nil {
		b.Fatal(err)
	}
	oa, err := newAEAD(key)
	if err != nil {
		b.Fatal(err)
	}
	return &sealer{aead: sa}, &opener{aead: oa}
}

func BenchmarkSeal(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s, _ := benchPair(b)
			pt, buf := make([]byte, n), make([]byte, 0, n+Overhead)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = s.seal(buf[:0], pt)
			}
		})
	}
}

// BenchmarkOpen opens in place, so each iteration first restores the sealed
// packet (a copy of n bytes, small next to the AES-GCM work).
func BenchmarkOpen(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s, o := benchPair(b)
			sealed, _ := s.seal(nil, make([]byte, n))
			buf := make([]byte, len(sealed))
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				copy(buf, sealed)
				o.next = 0
				if _, err := o.open(buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSealOpenFrame200 is one relay-hop message end to end in memory:
// encode a Send frame with a 200-byte body, seal, open, decode.
func BenchmarkSealOpenFrame200(b *testing.B) {
	s, o := benchPair(b)
	f := &wire.Frame{Send: &wire.Send{ID: make([]byte, 16), To: "bob", Body: make([]byte, 200),
		IdentityKey: fixedKey(b, 0x11).Public().Bytes()}}
	buf, pt := make([]byte, 0, 512), make([]byte, 0, 512)
	var got wire.Frame
	b.ReportAllocs()
	for b.Loop() {
		var err error
		pt, err = wire.AppendFrame(pt[:0], f)
		if err != nil {
			b.Fatal(err)
		}
		buf, _ = s.seal(buf[:0], pt)
		opened, err := o.open(buf)
		if err != nil {
			b.Fatal(err)
		}
		if err := wire.Unmarshal(opened, &got); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSealOpenCrypto200 is the crypto share of the above: seal and
// open of a 260-byte plaintext (the size of that encoded Send frame).
func BenchmarkSealOpenCrypto200(b *testing.B) {
	s, o := benchPair(b)
	pt, buf := make([]byte, 260), make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = s.seal(buf[:0], pt)
		if _, err := o.open(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConnFrame200 is WriteFrame + ReadFrame through a Conn pair and
// an in-memory buffer (the per-frame cost a relay pays, minus the network).
func BenchmarkConnFrame200(b *testing.B) {
	cli, srv := connPair(b)
	var pipe bytes.Buffer
	cli.rw, srv.rw = readWriter{nil, &pipe}, readWriter{&pipe, io.Discard}
	f := &wire.Frame{Send: &wire.Send{ID: make([]byte, 16), To: "bob", Body: make([]byte, 200),
		IdentityKey: fixedKey(b, 0x11).Public().Bytes()}}
	var got wire.Frame
	b.ReportAllocs()
	for b.Loop() {
		if err := cli.WriteFrame(f); err != nil {
			b.Fatal(err)
		}
		if err := srv.ReadFrame(&got); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandshake: "pipe" is a full handshake, both sides concurrently
// over net.Pipe (wall time); "server" and "client" are one side's work alone.
func BenchmarkHandshake(b *testing.B) {
	key := fixedKey(b, 0x11)
	b.Run("pipe", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c, s := handshakePair(b, bindingOf(1), bindingOf(1), key.Public(), key)
			if c.err != nil || s.err != nil {
				b.Fatal(c.err, s.err)
			}
		}
	})
	b.Run("server", func(b *testing.B) { benchServerSide(b) })
	b.Run("client", func(b *testing.B) { benchClientSide(b) })
}

func benchServerSide(b *testing.B) {
	v := newVectors(b)
	key := fixedKey(b, 0x11)
	r := bytes.NewReader(nil)
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(v.clientHello)
		if _, err := Server(context.Background(), readWriter{r, io.Discard}, v.binding, key); err != nil {
			b.Fatal(err)
		}
	}
}

// benchClientSide times the client's work: key generation, ClientHello,
// signature check, ECDH and key derivation. The relay's answer is computed
// with the timer stopped.
func benchClientSide(b *testing.B) {
	relay := &scriptedRelay{b: b, key: fixedKey(b, 0x11), binding: bindingOf(1)}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		relay.out.Reset()
		if _, err := Client(context.Background(), relay, relay.binding, relay.key.Public()); err != nil {
			b.Fatal(err)
		}
	}
}

// scriptedRelay answers the ClientHello written to it with a signed
// ServerHello, outside the benchmark timer.
type scriptedRelay struct {
	b       *testing.B
	key     *secp.PrivateKey
	binding []byte
	out     bytes.Buffer
}

func (r *scriptedRelay) Read(p []byte) (int, error) { return r.out.Read(p) }

func (r *scriptedRelay) Write(p []byte) (int, error) {
	r.b.StopTimer()
	defer r.b.StartTimer()
	eph, _ := secp.GeneratePrivateKey()
	sh := &wire.ServerHello{Version: wire.ProtocolVersion, Ephemeral: eph.Public().Bytes(),
		RelayKey: r.key.Public().Bytes(), Challenge: make([]byte, 32)}
	th := sha256.Sum256(transcript(r.binding, p[wire.PacketHeaderSize:], sh))
	sh.Signature = r.key.Sign(SignatureLabel, th[:])
	b, err := wire.Marshal(&wire.Frame{ServerHello: sh})
	if err != nil {
		return 0, err
	}
	return len(p), writeHello(&r.out, b)
}
