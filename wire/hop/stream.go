package hop

import (
	"bufio"
	"io"
	"sync"
)

// Buffer sizes of a [Stream]. Reads are buffered, so several sealed frames
// cost one read of the underlying stream. Once the handshake is done writes
// are buffered too, and the writer goroutine flushes only when it has
// nothing more queued: frames queued together leave in one write (and
// usually one QUIC packet). Both buffers come from pools and go back as
// soon as they are empty (reads) or flushed (writes), so an idle connection
// holds none: its reader waits for the next packet header reading straight
// into the caller's slice.
const (
	StreamReadBuffer  = 4 << 10
	StreamWriteBuffer = 8 << 10
)

// directRead is the largest read that, with the read buffer empty, goes
// straight to the underlying stream instead of taking a buffer: a packet
// header (wire.PacketHeaderSize bytes), which is what an idle connection
// waits in.
const directRead = 16

var (
	writeBuffers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, StreamWriteBuffer) }}
	readBuffers  = sync.Pool{New: func() any { b := make([]byte, StreamReadBuffer); return &b }}
)

// Stream sits between a [Conn] and the transport stream (a QUIC stream),
// on both the relay and the daemon side. Read belongs to the reader
// goroutine; Write and Flush to the writer goroutine (the handshake runs
// before either starts). The buffers only ever hold sealed frames
// (ciphertext) and handshake packets, so they are not wiped.
type Stream struct {
	rd       io.Reader
	rbuf     *[]byte // from readBuffers while it holds unread data
	rpos     int     // unread data is (*rbuf)[rpos:rend]
	rend     int
	rerr     error // from the read that filled rbuf: returned once rbuf is drained
	raw      io.Writer
	buffered bool          // after Buffer(): writes go to w
	w        *bufio.Writer // from writeBuffers while it holds data
}

// NewStream wraps rw; writes go straight through until Buffer is called.
func NewStream(rw io.ReadWriter) *Stream {
	return &Stream{rd: rw, raw: rw}
}

// Read reads through the read buffer. With the buffer empty, a small read
// (a packet header) or a large one goes straight to the stream; a
// mid-sized one fills a pooled buffer.
func (b *Stream) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if b.rbuf == nil {
		if b.rerr != nil {
			err := b.rerr
			b.rerr = nil
			return 0, err
		}
		if len(p) <= directRead || len(p) >= StreamReadBuffer {
			return b.rd.Read(p)
		}
		if err := b.fill(); err != nil || b.rbuf == nil {
			return 0, err
		}
	}
	n := copy(p, (*b.rbuf)[b.rpos:b.rend])
	if b.rpos += n; b.rpos == b.rend {
		b.releaseRead()
	}
	return n, nil
}

// fill takes a buffer and reads once into it. A read error that came with
// data is kept for after the data.
func (b *Stream) fill() error {
	b.rbuf = readBuffers.Get().(*[]byte)
	n, err := b.rd.Read(*b.rbuf)
	b.rpos, b.rend = 0, n
	if n == 0 {
		b.releaseRead()
		return err // nil: Read returns 0, nil like the stream did
	}
	b.rerr = err
	return nil
}

func (b *Stream) releaseRead() {
	readBuffers.Put(b.rbuf)
	b.rbuf, b.rpos, b.rend = nil, 0, 0
}

// Write writes p, into the pooled buffer once Buffer was called.
func (b *Stream) Write(p []byte) (int, error) {
	if !b.buffered {
		return b.raw.Write(p)
	}
	if b.w == nil {
		b.w = writeBuffers.Get().(*bufio.Writer)
		b.w.Reset(b.raw)
	}
	return b.w.Write(p)
}

// Buffer switches writes to the buffer; call it after the handshake,
// before the writer goroutine starts.
func (b *Stream) Buffer() { b.buffered = true }

// Flush writes what is buffered and returns the buffer to the pool.
func (b *Stream) Flush() error {
	if b.w == nil {
		return nil
	}
	err := b.w.Flush()
	if err == nil {
		b.w.Reset(nil)
		writeBuffers.Put(b.w)
		b.w = nil
	}
	return err
}
