package relay

import (
	"bufio"
	"io"
	"sync"
)

// Buffers of a session's stream: reads are buffered from the start; once
// the hop handshake is done, writes are buffered too and the writer
// goroutine flushes when its queues are empty, so a burst of sealed frames
// leaves in one stream Write. The write buffer comes from a pool and goes
// back at every flush: an idle connection holds none.
const (
	readBuffer  = 4 << 10
	writeBuffer = 8 << 10
)

var writeBuffers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, writeBuffer) }}

// bufStream sits between the hop layer and the QUIC stream. Read is the
// reader goroutine's; Write and flush are the writer goroutine's.
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

// buffer switches writes to the buffer; call it before the writer
// goroutine starts.
func (b *bufStream) buffer() { b.buffered = true }

// flush writes what is buffered and returns the buffer to the pool.
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
