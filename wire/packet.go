package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// PacketHeaderSize is the size of the big-endian length prefix.
const PacketHeaderSize = 4

// ErrTooLarge is returned when a packet's declared or actual length exceeds
// the maximum.
var ErrTooLarge = errors.New("wire: packet exceeds maximum size")

// AppendPacket appends a length-prefixed packet holding body to dst. It
// refuses bodies longer than max.
func AppendPacket(dst, body []byte, max int) ([]byte, error) {
	if len(body) > max {
		return dst, fmt.Errorf("%w: %d > %d bytes", ErrTooLarge, len(body), max)
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(body)))
	return append(dst, body...), nil
}

// ReadPacket reads one length-prefixed packet from r. The declared length is
// compared to max before anything is allocated; buf is reused when it is
// large enough. The returned slice aliases buf.
func ReadPacket(r io.Reader, buf []byte, max int) ([]byte, error) {
	var hdr [PacketHeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if uint64(n) > uint64(max) {
		return nil, fmt.Errorf("%w: declared %d > %d bytes", ErrTooLarge, n, max)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}
