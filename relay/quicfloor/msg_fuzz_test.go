package quicfloor

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzReadMsg: whatever readMsg accepts re-encodes to the bytes it read,
// and it never returns a body beyond maxMsg.
func FuzzReadMsg(f *testing.F) {
	f.Add(appendMsg(nil, []byte("hello")))
	f.Add(appendMsg(nil, make([]byte, 200)))
	f.Add(appendMsg(nil, nil))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1})
	f.Fuzz(func(t *testing.T, in []byte) {
		body, err := readMsg(bufio.NewReader(bytes.NewReader(in)), nil)
		if err != nil {
			return
		}
		if len(body) > maxMsg {
			t.Fatalf("body of %d bytes", len(body))
		}
		if got := appendMsg(nil, body); !bytes.Equal(got, in[:len(got)]) {
			t.Fatalf("re-encoded %x, read from %x", got, in)
		}
	})
}

func TestReadMsgTooLarge(t *testing.T) {
	in := appendMsg(nil, make([]byte, maxMsg+1))
	_, err := readMsg(bufio.NewReader(bytes.NewReader(in)), nil)
	if !errors.Is(err, errTooLarge) {
		t.Fatalf("err = %v, want errTooLarge", err)
	}
}

func TestReadMsgTruncated(t *testing.T) {
	in := appendMsg(nil, make([]byte, 10))
	_, err := readMsg(bufio.NewReader(bytes.NewReader(in[:8])), nil)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want io.ErrUnexpectedEOF", err)
	}
}
