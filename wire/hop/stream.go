package hop

import (
	"bufio"
	"io"
	"sync"
)

// Buffer sizes of a [Stream]. Reads are buffered from the start, so several
// sealed frames cost one read of the underlying stream. Once the handshake
// is done writes are buffered too, and the writer goroutine flushes only
// when it has nothing more queued: frames queued together leave in one
// write (and usually one QUIC packet). The write buffer comes from a pool
// and goes back at every flush, so an idle connection holds none.
const (
	StreamReadBuffer  = 4 << 10
	StreamWriteBuffer = 8 << 10
)

var writeBuffers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, StreamWriteBuffer) }}

// Stream sits between a [Conn] and the transport stream (a QUIC stream),
// on both the relay and the daemon side. Read belongs to the reader
// goroutine; Write and Flush to the writer goroutine (the handshake runs
// before either starts). The buffers only ever hold sealed frames
// (ciphertext) and handshake packets, so they are not wiped.
type Stream struct {
	r        *bufio.Reader
	raw      io.Writer
	buffered bool          // after Buffer(): writes go to w
	w        *bufio.Writer // from writeBuffers while it holds data
}

// NewStream wraps rw; writes go straight through until Buffer is called.
func NewStream(rw io.ReadWriter) *Stream {
	return &Stream{r: bufio.NewReaderSize(rw, StreamReadBuffer), raw: rw}
}

// Read reads through the read buffer.
func (b *Stream) Read(p []byte) (int, error) { return b.r.Read(p) }

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
