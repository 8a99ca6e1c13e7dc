package quicfloor

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"sync"

	"github.com/quic-go/quic-go"
)

// mode selects the forwarder's and the clients' variant.
type mode struct {
	sealed bool // AES-256-GCM per hop: clients seal/open, the forwarder opens and re-seals
	writer bool // a writer goroutine per connection fed by a queue, as the relay's session writer
	acks   bool // Ack and Accepted frames as the relay protocol has (kData...)
}

func (m mode) String() string {
	s := []string{"plain"}
	if m.sealed {
		s[0] = "sealed"
	}
	if m.writer {
		s = append(s, "writer")
	}
	if m.acks {
		s = append(s, "acks")
	}
	return strings.Join(s, ",")
}

func parseMode(s string) mode {
	return mode{sealed: strings.Contains(s, "sealed"), writer: strings.Contains(s, "writer"),
		acks: strings.Contains(s, "acks")}
}

// With acks, a message body starts with its kind, as the relay protocol's
// four frames per message: the sender's data (Send) goes to the partner
// (Deliver) and the forwarder answers the sender kAccepted (Accepted) at
// once; the partner answers kAck (Ack), which the forwarder consumes. An
// Ack or Accepted carries a 16-byte message id (zeros here).
const (
	kData     byte = 0
	kAck      byte = 1
	kAccepted byte = 2
	idSize         = 16
)

var acceptedBody = append([]byte{kAccepted}, make([]byte, idSize)...)

// Forwarder limits: a writer's queue (bounded back pressure on the
// partner's reader) and the bytes it gathers into one stream write.
const (
	queueLen   = 64
	writeBatch = 8 << 10
	readBuffer = 4 << 10 // hop.StreamReadBuffer
)

var errHello = errors.New("quicfloor: bad hello or message kind")

// forwarder pairs connection slot 2i with 2i+1 and copies every message
// of one to the other.
type forwarder struct {
	mode  mode
	mu    sync.Mutex
	pairs map[uint32]*fwdPair // by slot/2; guarded by mu
}

// fwdPair is two connections; ready closes when both have said hello.
type fwdPair struct {
	ends  [2]*fwdEnd
	ready chan struct{}
}

// fwdEnd is one client connection as the forwarder sees it. Its reader
// goroutine owns rd and opener; writes to it go through wmu (direct) or
// out (writer mode).
type fwdEnd struct {
	qc     *quic.Conn
	st     *quic.Stream
	rd     *bufio.Reader
	opener *hopAEAD // client to forwarder; reader only
	wmu    sync.Mutex
	sealer *hopAEAD // forwarder to client; under wmu or in the writer
	wbuf   []byte   // under wmu or in the writer
	out    chan []byte
}

func newForwarder(m mode) *forwarder {
	return &forwarder{mode: m, pairs: make(map[uint32]*fwdPair)}
}

// serve accepts connections until ctx ends or ln is closed.
func (f *forwarder) serve(ctx context.Context, ln *quic.Listener) {
	for {
		conn, err := ln.Accept(ctx)
		if err != nil {
			return
		}
		go f.handle(ctx, conn)
	}
}

// handle runs one connection: hello, pairing, then the copy loop.
func (f *forwarder) handle(ctx context.Context, qc *quic.Conn) {
	defer qc.CloseWithError(0, "")
	e, slot, err := f.hello(ctx, qc)
	if err != nil {
		return
	}
	p := f.join(slot, e)
	select {
	case <-p.ready:
	case <-qc.Context().Done():
		return
	case <-ctx.Done():
		return
	}
	partner := p.ends[slot&1^1]
	if f.mode.writer {
		go e.writeLoop(qc.Context())
	}
	f.copyTo(qc.Context(), e, partner)
}

// hello accepts the stream and reads the 4-byte slot number.
func (f *forwarder) hello(ctx context.Context, qc *quic.Conn) (*fwdEnd, uint32, error) {
	hctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	st, err := qc.AcceptStream(hctx)
	if err != nil {
		return nil, 0, err
	}
	rd := bufio.NewReaderSize(st, readBuffer)
	body, err := readMsg(rd, nil)
	if err != nil {
		return nil, 0, err
	}
	if len(body) != 4 || binary.BigEndian.Uint32(body) > maxSlot {
		return nil, 0, errHello
	}
	slot := binary.BigEndian.Uint32(body)
	e := &fwdEnd{qc: qc, st: st, rd: rd, out: make(chan []byte, queueLen)}
	if f.mode.sealed {
		e.opener, e.sealer = newHopAEAD(toForwarder, slot), newHopAEAD(toClient, slot)
	}
	return e, slot, nil
}

// join records e as its pair's end slot&1; a slot said twice replaces
// the first (the benchmark never does).
func (f *forwarder) join(slot uint32, e *fwdEnd) *fwdPair {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.pairs[slot/2]
	if p == nil {
		p = &fwdPair{ready: make(chan struct{})}
		f.pairs[slot/2] = p
	}
	p.ends[slot&1] = e
	if p.ends[0] != nil && p.ends[1] != nil {
		delete(f.pairs, slot/2)
		close(p.ready)
	}
	return p
}

// copyTo is e's reader: every message, opened if sealed, goes to to.
func (f *forwarder) copyTo(ctx context.Context, e, to *fwdEnd) {
	var rbuf, pbuf []byte
	for {
		body, err := readMsg(e.rd, rbuf)
		if err != nil {
			return
		}
		rbuf = body
		if e.opener != nil {
			if pbuf, err = e.opener.open(pbuf[:0], body); err != nil {
				return
			}
			body = pbuf
		}
		if err = f.handleMsg(ctx, e, to, body); err != nil {
			return
		}
	}
}

// handleMsg forwards a message from e to to; with acks it consumes Acks
// and answers e Accepted for each data message.
func (f *forwarder) handleMsg(ctx context.Context, e, to *fwdEnd, body []byte) error {
	if !f.mode.acks {
		return f.send(ctx, to, body)
	}
	switch {
	case len(body) == 1+idSize && body[0] == kAck:
		return nil
	case len(body) > 0 && body[0] == kData:
		if err := f.send(ctx, to, body); err != nil {
			return err
		}
		return f.send(ctx, e, acceptedBody)
	default:
		return errHello
	}
}

// send writes plain to e's client, directly or through its writer.
func (f *forwarder) send(ctx context.Context, e *fwdEnd, plain []byte) error {
	if f.mode.writer {
		return e.enqueue(ctx, plain)
	}
	return e.write(plain)
}

// write sends one message to e's client (direct mode).
func (e *fwdEnd) write(plain []byte) error {
	e.wmu.Lock()
	defer e.wmu.Unlock()
	e.wbuf = e.frame(e.wbuf[:0], plain)
	_, err := e.st.Write(e.wbuf)
	return err
}

// frame appends plain as one message, sealed if the variant seals.
func (e *fwdEnd) frame(dst, plain []byte) []byte {
	if e.sealer != nil {
		return e.sealer.seal(dst, plain)
	}
	return appendMsg(dst, plain)
}

// enqueue hands a copy of plain to e's writer (writer mode).
func (e *fwdEnd) enqueue(ctx context.Context, plain []byte) error {
	select {
	case e.out <- append([]byte(nil), plain...):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writeLoop writes queued messages, gathering whatever is queued into one
// stream write (the relay's writer flushes when it has nothing more).
func (e *fwdEnd) writeLoop(ctx context.Context) {
	for {
		select {
		case m := <-e.out:
			e.wbuf = e.frame(e.wbuf[:0], m)
			e.gather()
			if _, err := e.st.Write(e.wbuf); err != nil {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// gather appends already-queued messages to wbuf, up to writeBatch bytes.
func (e *fwdEnd) gather() {
	for len(e.wbuf) < writeBatch {
		select {
		case m := <-e.out:
			e.wbuf = e.frame(e.wbuf, m)
		default:
			return
		}
	}
}
