package hop

import (
	"errors"
	"fmt"
	"io"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

// Buffer sizes: a Conn keeps read and write buffers up to retainBuffer
// bytes between frames and drops larger ones after use, so an idle
// connection holds little memory.
const (
	initialBuffer = 1 << 10
	retainBuffer  = 16 << 10
)

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

	rbuf []byte // reader only
	rerr error  // reader only: sticky
	pbuf []byte // writer only: the encoded plaintext, zeroed after each frame
	wbuf []byte // writer only
	werr error  // writer only: sticky
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
	if cap(c.rbuf) < initialBuffer {
		c.rbuf = make([]byte, initialBuffer)
	}
	hdr := c.rbuf[:wire.PacketHeaderSize]
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
	if cap(c.rbuf) < total {
		c.rbuf = append(make([]byte, 0, total), hdr...)
	}
	pkt := c.rbuf[:total]
	if _, err := io.ReadFull(c.rw, pkt[wire.PacketHeaderSize:]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("hop: read frame: %w", err)
	}
	return pkt, nil
}

func (c *Conn) releaseRead() {
	if cap(c.rbuf) > retainBuffer {
		c.rbuf = nil
	}
}

// WriteFrame encodes, seals and writes f. A frame that breaks a wire limit
// is refused without consuming a counter; a write failure or counter
// exhaustion is final.
func (c *Conn) WriteFrame(f *wire.Frame) error {
	if c.werr != nil {
		return c.werr
	}
	pt, err := wire.AppendFrame(c.pbuf[:0], f)
	if err != nil {
		return fmt.Errorf("hop: write frame: %w", err)
	}
	err = c.writeSealed(pt)
	c.releasePlaintext(pt)
	if err != nil {
		c.werr = err
		return err
	}
	return nil
}

// releasePlaintext zeroes the encoded frame (it may carry a password) and
// keeps its buffer for the next frame unless it grew beyond retainBuffer.
func (c *Conn) releasePlaintext(pt []byte) {
	clear(pt)
	c.pbuf = pt[:0]
	if cap(pt) > retainBuffer {
		c.pbuf = nil
	}
}

func (c *Conn) writeSealed(pt []byte) error {
	if cap(c.wbuf) < initialBuffer {
		c.wbuf = make([]byte, 0, initialBuffer)
	}
	pkt, err := c.seal.seal(c.wbuf[:0], pt)
	if err != nil {
		return err
	}
	c.wbuf = pkt
	_, err = c.rw.Write(pkt)
	if cap(c.wbuf) > retainBuffer {
		c.wbuf = nil
	}
	if err != nil {
		return fmt.Errorf("hop: write frame: %w", err)
	}
	return nil
}
