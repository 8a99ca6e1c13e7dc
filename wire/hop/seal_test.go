package hop

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/securep2p/securep2p/wire"
)

// expectFatal checks that reading bad fails with target, and that the Conn
// stays dead: a genuine next packet gets the very same error.
func expectFatal(t *testing.T, c *Conn, bad, genuine []byte, target error) {
	t.Helper()
	_, err := feed(c, bad)
	if !errors.Is(err, target) {
		t.Fatalf("read tampered packet: got %v, want %v", err, target)
	}
	if _, again := feed(c, genuine); again != err {
		t.Fatalf("read after failure: got %v, want the same error %v", again, err)
	}
}

func flip(b []byte, i int, mask byte) []byte {
	out := bytes.Clone(b)
	out[i] ^= mask
	return out
}

func TestSealedRoundTrip(t *testing.T) {
	cli, srv := connPair(t)
	for n := uint64(0); n < 3; n++ {
		f, err := feed(srv, sealTo(t, cli, ping(n)))
		if err != nil || f.Ping == nil || f.Ping.N != n {
			t.Fatalf("relay read %d: %+v, %v", n, f, err)
		}
		f, err = feed(cli, sealTo(t, srv, &wire.Frame{Pong: &wire.Pong{N: n}}))
		if err != nil || f.Pong == nil || f.Pong.N != n {
			t.Fatalf("client read %d: %+v, %v", n, f, err)
		}
	}
}

func TestSealedDecodedFrameOwnsItsBytes(t *testing.T) {
	cli, srv := connPair(t)
	body := bytes.Repeat([]byte{0xaa}, 200)
	send := &wire.Frame{Send: &wire.Send{ID: make([]byte, 16), To: "bob", Body: body, IdentityKey: newKey(t).Public().Bytes()}}
	f, err := feed(srv, sealTo(t, cli, send))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := feed(srv, sealTo(t, cli, ping(1))); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.Send.Body, body) {
		t.Fatal("a decoded body changed when the read buffer was reused")
	}
}

func TestSealedBitFlipLength(t *testing.T) {
	cli, srv := connPair(t)
	pkt := sealTo(t, cli, ping(1))
	// Clear the lowest set bit of the length: the reader takes a shorter
	// packet, whose tag no longer authenticates.
	low := pkt[3] & -pkt[3]
	expectFatal(t, srv, flip(pkt, 3, low), pkt, ErrAuth)
}

func TestSealedBitFlipLengthOpener(t *testing.T) {
	cli, srv := connPair(t)
	pkt := sealTo(t, cli, ping(1))
	if _, err := srv.open.open(flip(pkt, 3, 0x01)); !errors.Is(err, ErrAuth) {
		t.Fatalf("open with altered length prefix: %v, want ErrAuth", err)
	}
}

func TestSealedBitFlipCounter(t *testing.T) {
	cli, srv := connPair(t)
	pkt := sealTo(t, cli, ping(1))
	expectFatal(t, srv, flip(pkt, wire.PacketHeaderSize+counterSize-1, 0x01), pkt, ErrSequence)
}

func TestSealedBitFlipCiphertext(t *testing.T) {
	cli, srv := connPair(t)
	pkt := sealTo(t, cli, ping(1))
	expectFatal(t, srv, flip(pkt, headerSize, 0x80), pkt, ErrAuth)
}

func TestSealedBitFlipTag(t *testing.T) {
	cli, srv := connPair(t)
	pkt := sealTo(t, cli, ping(1))
	expectFatal(t, srv, flip(pkt, len(pkt)-1, 0x01), pkt, ErrAuth)
}

func TestSealedTruncated(t *testing.T) {
	cli, srv := connPair(t)
	pkt := sealTo(t, cli, ping(1))
	short := bytes.Clone(pkt[:len(pkt)-1])
	short[3]-- // a consistent length prefix: only the tag can tell
	expectFatal(t, srv, short, pkt, ErrAuth)
}

func TestSealedTruncatedStream(t *testing.T) {
	cli, srv := connPair(t)
	pkt := sealTo(t, cli, ping(1))
	expectFatal(t, srv, pkt[:len(pkt)-1], pkt, io.ErrUnexpectedEOF)
}

func TestSealedShorterThanTag(t *testing.T) {
	cli, srv := connPair(t)
	pkt := sealTo(t, cli, ping(1))
	tiny := []byte{0, 0, 0, counterSize + tagSize - 1}
	expectFatal(t, srv, append(tiny, make([]byte, counterSize+tagSize-1)...), pkt, ErrAuth)
}

func TestSealedOversizedLength(t *testing.T) {
	cli, srv := connPair(t)
	pkt := sealTo(t, cli, ping(1))
	expectFatal(t, srv, []byte{0xff, 0xff, 0xff, 0xff}, pkt, wire.ErrTooLarge)
}

func TestSealedReplay(t *testing.T) {
	cli, srv := connPair(t)
	first := sealTo(t, cli, ping(1))
	if _, err := feed(srv, first); err != nil {
		t.Fatal(err)
	}
	expectFatal(t, srv, first, sealTo(t, cli, ping(2)), ErrSequence)
}

func TestSealedReorder(t *testing.T) {
	cli, srv := connPair(t)
	first, second := sealTo(t, cli, ping(1)), sealTo(t, cli, ping(2))
	expectFatal(t, srv, second, first, ErrSequence)
}

func TestSealedDropped(t *testing.T) {
	cli, srv := connPair(t)
	first := sealTo(t, cli, ping(1))
	_ = sealTo(t, cli, ping(2)) // dropped on the way
	third := sealTo(t, cli, ping(3))
	if _, err := feed(srv, first); err != nil {
		t.Fatal(err)
	}
	expectFatal(t, srv, third, third, ErrSequence)
}

func TestSealedWrongDirectionKey(t *testing.T) {
	cli, srv := connPair(t)
	own := sealTo(t, cli, ping(1)) // sealed with the client-to-relay key
	// The client opens relay-to-client frames: its own frame, counter 0 as
	// expected, must not authenticate.
	expectFatal(t, cli, own, sealTo(t, srv, ping(1)), ErrAuth)
}

func TestSealedReflectedToSender(t *testing.T) {
	cli, srv := connPair(t)
	own := sealTo(t, srv, ping(1))
	expectFatal(t, srv, own, sealTo(t, cli, ping(1)), ErrAuth)
}

func TestCounterExhaustion(t *testing.T) {
	cli, srv := connPair(t)
	cli.seal.next, srv.open.next = MaxFrames-1, MaxFrames-1
	last := sealTo(t, cli, ping(1))
	if _, err := feed(srv, last); err != nil {
		t.Fatalf("last frame: %v", err)
	}
	cli.rw = readWriter{nil, io.Discard}
	if err := cli.WriteFrame(ping(2)); !errors.Is(err, ErrCounterExhausted) {
		t.Fatalf("seal past MaxFrames: %v, want ErrCounterExhausted", err)
	}
	if err := cli.WriteFrame(ping(3)); !errors.Is(err, ErrCounterExhausted) {
		t.Fatalf("write after exhaustion: %v, want the same error", err)
	}
	if _, err := srv.open.open(last); !errors.Is(err, ErrCounterExhausted) {
		t.Fatalf("open past MaxFrames: %v, want ErrCounterExhausted", err)
	}
}

func TestWriteInvalidFrameNotFatal(t *testing.T) {
	cli, srv := connPair(t)
	cli.rw = readWriter{nil, io.Discard}
	if err := cli.WriteFrame(&wire.Frame{}); !errors.Is(err, wire.ErrInvalid) {
		t.Fatalf("empty frame: %v, want wire.ErrInvalid", err)
	}
	if _, err := feed(srv, sealTo(t, cli, ping(1))); err != nil {
		t.Fatalf("frame after a refused one: %v", err)
	}
}

func TestWriteErrorIsFatal(t *testing.T) {
	cli, _ := connPair(t)
	boom := errors.New("stream reset")
	cli.rw = readWriter{nil, failWriter{boom}}
	if err := cli.WriteFrame(ping(1)); !errors.Is(err, boom) {
		t.Fatalf("write: %v", err)
	}
	cli.rw = readWriter{nil, io.Discard}
	if err := cli.WriteFrame(ping(2)); !errors.Is(err, boom) {
		t.Fatalf("write after failure: %v, want the first error", err)
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

func TestReadCleanEOF(t *testing.T) {
	_, srv := connPair(t)
	if _, err := feed(srv); err != io.EOF {
		t.Fatalf("read at end of stream: %v, want io.EOF", err)
	}
}

func TestSealedLargeFrame(t *testing.T) {
	cli, srv := connPair(t)
	body := bytes.Repeat([]byte{1}, wire.MaxBodySize)
	f := &wire.Frame{Deliver: &wire.Deliver{ID: make([]byte, 16), From: "alice", Body: body}}
	got, err := feed(cli, sealTo(t, srv, f))
	if err != nil || !bytes.Equal(got.Deliver.Body, body) {
		t.Fatalf("large frame: %v", err)
	}
	if cli.rbuf != nil {
		t.Fatal("a large buffer was kept after the frame")
	}
}
