package quicfloor

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// A message on a stream is a 4-byte big-endian length and that many bytes.
const (
	headerSize = 4
	maxMsg     = 64 << 10 // hard limit on a message body, checked before reading it
)

var errTooLarge = errors.New("quicfloor: message too large")

// appendMsg appends body as one length-prefixed message.
func appendMsg(dst, body []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(body)))
	return append(dst, body...)
}

// readMsg reads one message into buf (grown if needed, never beyond
// maxMsg) and returns its body.
func readMsg(r *bufio.Reader, buf []byte) ([]byte, error) {
	var h [headerSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(h[:])
	if n > maxMsg {
		return nil, fmt.Errorf("%w: %d bytes", errTooLarge, n)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	return buf, nil
}
