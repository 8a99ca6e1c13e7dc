package hop

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

// Buffer sizes: a Conn takes its read and write buffers from pools for one
// frame and gives them back after it (larger ones, for frames above
// retainBuffer, are allocated and dropped), so an idle connection holds
// none: its reader waits for a packet header in a 4-byte array.
const (
	smallBuffer  = 2 << 10
	retainBuffer = 16 << 10
)

var (
	smallBuffers = sync.Pool{New: func() any { b := make([]byte, smallBuffer); return &b }}
	largeBuffers = sync.Pool{New: func() any { b := make([]byte, retainBuffer); return &b }}
)

// getBuffer returns an empty buffer with room for n bytes, from a pool
// when n is at most retainBuffer.
func getBuffer(n int) *[]byte {
	var p *[]byte
	switch {
	case n <= smallBuffer:
		p = smallBuffers.Get().(*[]byte)
	case n <= retainBuffer:
		p = largeBuffers.Get().(*[]byte)
	default:
		b := make([]byte, 0, n)
		return &b
	}
	*p = (*p)[:0]
	return p
}

// putBuffer gives p back to its pool; buffers of other sizes are dropped.
// Callers clear what must not outlive the frame first.
func putBuffer(p *[]byte) {
	switch cap(*p) {
	case smallBuffer:
		smallBuffers.Put(p)
	case retainBuffer:
		largeBuffers.Put(p)
	}
}

// Conn is an established hop channel. One goroutine may call ReadFrame
// while another calls WriteFrame. A Conn cannot be printed (beyond the
// relay's public fingerprint) or compared with ==.
type Conn struct {
	_         notComparable
	rw        io.ReadWriter
	seal      sealer
	open      opener
	relayKey  secp.PublicKey
	sessionID [32]byte
	version   uint64 // negotiated protocol version

	hdr  [wire.PacketHeaderSize]byte // reader only: the next packet's length prefix
	rbuf *[]byte                     // reader only: the packet being read (pooled, nil between frames)
	rerr error                       // reader only: sticky
	werr error                       // writer only: sticky
}

func newConn(rw io.ReadWriter, shared []byte, th [32]byte, relayKey secp.PublicKey, isClient bool) (*Conn, error) {
	c2s, err := newDirection(shared, th, InfoClientToServer)
	if err != nil {
		return nil, err
	}
	s2c, err := newDirection(shared, th, InfoServerToClient)
	if err != nil {
		return nil, err
	}
	c := &Conn{rw: rw, relayKey: relayKey, sessionID: th}
	if isClient {
		c.seal.aead, c.open.aead = c2s, s2c
	} else {
		c.seal.aead, c.open.aead = s2c, c2s
	}
	return c, nil
}

// RelayKey is the relay's long-term public key proven in the handshake.
func (c *Conn) RelayKey() secp.PublicKey { return c.relayKey }

// Version is the protocol version both ends agreed on in the handshake
// (the client's, between wire.MinProtocolVersion and wire.ProtocolVersion).
func (c *Conn) Version() uint64 { return c.version }

// SessionID is the transcript hash: unique per connection, known to both
// ends, covering the relay's challenge. Resume signs it ([ResumeMessage]).
func (c *Conn) SessionID() [32]byte { return c.sessionID }

// String prints only the relay's public fingerprint.
func (c Conn) String() string { return "hop.Conn(relay " + c.relayKey.Fingerprint() + ")" }

// GoString keeps %#v from printing key state.
func (c Conn) GoString() string { return c.String() }

// Format keeps every fmt verb from printing key state.
func (c Conn) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

// ReadFrame reads, opens and decodes the next sealed frame into f. io.EOF
// means the peer closed cleanly between frames. Every error is final: the
// Conn returns it again from every later call.
func (c *Conn) ReadFrame(f *wire.Frame) error {
	if c.rerr != nil {
		return c.rerr
	}
	if err := c.readFrame(f); err != nil {
		c.rerr = err
		return err
	}
	return nil
}

func (c *Conn) readFrame(f *wire.Frame) error {
	pkt, err := c.readPacket()
	if err != nil {
		return err
	}
	defer c.releaseRead()
	pt, err := c.open.open(pkt)
	if err != nil {
		return err
	}
	defer clear(pt)
	if err := wire.Unmarshal(pt, f); err != nil {
		return fmt.Errorf("hop: read frame: %w", err)
	}
	return nil
}

// readPacket reads one sealed packet (length prefix included) into rbuf,
// checking the declared length before allocating.
func (c *Conn) readPacket() ([]byte, error) {
	hdr := c.hdr[:]
	if _, err := io.ReadFull(c.rw, hdr); err != nil {
		return nil, err // io.EOF only at a packet boundary
	}
	n := int(uint32(hdr[0])<<24 | uint32(hdr[1])<<16 | uint32(hdr[2])<<8 | uint32(hdr[3]))
	if n > MaxSealedBody {
		return nil, fmt.Errorf("hop: read frame: %w: declared %d > %d bytes", wire.ErrTooLarge, n, MaxSealedBody)
	}
	if n < counterSize+tagSize {
		return nil, fmt.Errorf("%w: declared length %d is shorter than counter and tag", ErrAuth, n)
	}
	total := wire.PacketHeaderSize + n
	c.rbuf = getBuffer(total)
	pkt := append(*c.rbuf, hdr...)[:total]
	if _, err := io.ReadFull(c.rw, pkt[wire.PacketHeaderSize:]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("hop: read frame: %w", err)
	}
	return pkt, nil
}

// releaseRead gives the packet buffer back (its plaintext was cleared).
func (c *Conn) releaseRead() {
	putBuffer(c.rbuf)
	c.rbuf = nil
}

// WriteFrame encodes, seals and writes f. A frame that breaks a wire limit
// is refused without consuming a counter; a write failure or counter
// exhaustion is final.
func (c *Conn) WriteFrame(f *wire.Frame) error {
	if c.werr != nil {
		return c.werr
	}
	pbuf := getBuffer(smallBuffer)
	pt, err := wire.AppendFrame(*pbuf, f)
	if err != nil {
		releasePlaintext(pbuf, pt)
		return fmt.Errorf("hop: write frame: %w", err)
	}
	wbuf := getBuffer(len(pt) + Overhead)
	*wbuf, err = c.seal.seal(*wbuf, pt)
	releasePlaintext(pbuf, pt)
	if err == nil {
		err = c.writePacket(*wbuf)
	}
	putBuffer(wbuf)
	if err != nil {
		c.werr = err
		return err
	}
	return nil
}

// releasePlaintext zeroes the encoded frame (it may carry a password), in
// the pooled buffer and in the one append may have grown it into, and
// gives the pooled one back.
func releasePlaintext(pbuf *[]byte, pt []byte) {
	clear((*pbuf)[:cap(*pbuf)])
	clear(pt)
	putBuffer(pbuf)
}

func (c *Conn) writePacket(pkt []byte) error {
	if _, err := c.rw.Write(pkt); err != nil {
		return fmt.Errorf("hop: write frame: %w", err)
	}
	return nil
}
