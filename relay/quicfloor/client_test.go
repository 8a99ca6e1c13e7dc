package quicfloor

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"sync"

	"github.com/quic-go/quic-go"
)

// dialParallel is how many connections dialAll handshakes at once.
const dialParallel = 16

// client is one simulated daemon: its own UDP socket (quic.DialAddr), one
// stream, a length-prefixed hello naming its slot. One goroutine at a
// time uses it.
type client struct {
	qc        *quic.Conn
	st        *quic.Stream
	rd        *bufio.Reader
	sealer    *hopAEAD // client to forwarder
	opener    *hopAEAD // forwarder to client
	acks      bool     // kind bytes (kData...), Acks sent, Accepted counted
	ackDue    bool     // a data message arrived: Ack it with the next send
	nAccepted int      // Accepted frames received
	wbuf      []byte
	tbuf      []byte
	rbuf      []byte
	pbuf      []byte
}

// dial connects slot to the forwarder at addr.
func dial(ctx context.Context, addr string, slot uint32, m mode) (*client, error) {
	qc, err := quic.DialAddr(ctx, addr, clientTLS(), clientQUIC())
	if err != nil {
		return nil, err
	}
	st, err := qc.OpenStreamSync(ctx)
	if err != nil {
		_ = qc.CloseWithError(0, "")
		return nil, err
	}
	c := &client{qc: qc, st: st, rd: bufio.NewReaderSize(st, readBuffer), acks: m.acks}
	if m.sealed {
		c.sealer, c.opener = newHopAEAD(toForwarder, slot), newHopAEAD(toClient, slot)
	}
	if _, err := st.Write(appendMsg(nil, binary.BigEndian.AppendUint32(nil, slot))); err != nil {
		_ = qc.CloseWithError(0, "")
		return nil, err
	}
	return c, nil
}

// dialAll dials slots 0..n-1, dialParallel at a time.
func dialAll(ctx context.Context, addr string, n int, m mode) ([]*client, error) {
	cs := make([]*client, n)
	errs := make([]error, n)
	sem := make(chan struct{}, dialParallel)
	var wg sync.WaitGroup
	for i := range cs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			cs[i], errs[i] = dial(ctx, addr, uint32(i), m)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			closeAll(cs)
			return nil, err
		}
	}
	return cs, nil
}

func closeAll(cs []*client) {
	for _, c := range cs {
		if c != nil {
			_ = c.qc.CloseWithError(0, "")
		}
	}
}

// ackBody is the Ack a client sends for each data message it received.
var ackBody = append([]byte{kAck}, make([]byte, idSize)...)

var errKind = errors.New("quicfloor: unexpected message kind")

// send writes msg as one message, sealed if the client seals; with acks,
// after the Ack it owes, in the same stream write.
func (c *client) send(msg []byte) error {
	c.wbuf = c.wbuf[:0]
	if c.acks {
		if c.ackDue {
			c.wbuf, c.ackDue = c.frame(c.wbuf, ackBody), false
		}
		c.tbuf = append(append(c.tbuf[:0], kData), msg...)
		msg = c.tbuf
	}
	c.wbuf = c.frame(c.wbuf, msg)
	_, err := c.st.Write(c.wbuf)
	return err
}

func (c *client) frame(dst, plain []byte) []byte {
	if c.sealer != nil {
		return c.sealer.seal(dst, plain)
	}
	return appendMsg(dst, plain)
}

// recv returns the next data message, valid until the next recv; with
// acks it skips Accepted frames and owes an Ack for the message.
func (c *client) recv() ([]byte, error) {
	for {
		body, err := c.recvOne()
		if err != nil || !c.acks {
			return body, err
		}
		switch {
		case len(body) == 1+idSize && body[0] == kAccepted:
			c.nAccepted++
		case len(body) > 0 && body[0] == kData:
			c.ackDue = true
			return body[1:], nil
		default:
			return nil, errKind
		}
	}
}

// recvOne reads the next message, opened if the client seals.
func (c *client) recvOne() ([]byte, error) {
	body, err := readMsg(c.rd, c.rbuf)
	if err != nil {
		return nil, err
	}
	c.rbuf = body
	if c.opener == nil {
		return body, nil
	}
	c.pbuf, err = c.opener.open(c.pbuf[:0], body)
	return c.pbuf, err
}
