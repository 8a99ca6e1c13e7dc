package link

import (
	"bufio"
	"io"
	"sync"
)

// Buffers of the relay stream. Reads are buffered from the start, so a
// sealed frame costs one stream Read for several frames instead of two
// per frame. Once the hop handshake is done writes are buffered too, and
// the writer goroutine flushes only when its queue is empty: frames queued
// together (an echo and an Ack, a burst of Sends) leave in one stream
// Write and usually one QUIC packet. The write buffer comes from a pool
// and goes back at every flush, so an idle connection holds none.
const (
	readBuffer  = 4 << 10
	writeBuffer = 8 << 10
)

var writeBuffers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, writeBuffer) }}

// bufStream sits between the hop layer and the QUIC stream. Read is the
// reader goroutine's; Write and flush are the writer goroutine's (the
// handshake runs before either starts).
type bufStream struct {
	r        *bufio.Reader
	raw      io.Writer
	buffered bool          // after buffer(): writes go to w
	w        *bufio.Writer // from writeBuffers while it holds data
}

func newBufStream(st io.ReadWriter) *bufStream {
	return &bufStream{r: bufio.NewReaderSize(st, readBuffer), raw: st}
}

func (b *bufStream) Read(p []byte) (int, error) { return b.r.Read(p) }

func (b *bufStream) Write(p []byte) (int, error) {
	if !b.buffered {
		return b.raw.Write(p)
	}
	if b.w == nil {
		b.w = writeBuffers.Get().(*bufio.Writer)
		b.w.Reset(b.raw)
	}
	return b.w.Write(p)
}

// buffer switches writes to the buffer; call it after the handshake,
// before the writer goroutine starts.
func (b *bufStream) buffer() { b.buffered = true }

// flush writes what is buffered and returns the buffer to the pool. The
// buffer holds sealed frames only (ciphertext), so it is not wiped.
func (b *bufStream) flush() error {
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
