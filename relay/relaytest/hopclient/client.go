// Package hopclient is a minimal daemon for relay tests: a QUIC connection
// to a relay on 127.0.0.1, the wire/hop handshake, one reader goroutine
// that queues every frame it reads, and request helpers (Call, Sync,
// Register, Login, Resume, Send) that fail the test on anything
// unexpected. It is shared by the relay and relay/cluster tests and
// imports nothing from the relay, so the relay's own in-package tests can
// use it without an import cycle. It offers wire.ProtocolVersion (Ack
// and Accepted may carry several ids: AckBatch, AcceptedIDs) unless a test
// dials with DialVersion or DialBufferedVersion, e.g. as a version 1
// daemon.
//
// It is test code: imported only from _test.go files, never linked into a
// binary. It does what a test asks, including malformed or out-of-order
// requests, and checks nothing about the relay beyond what each helper
// documents. Its only waits are bounded (10 s per frame) so a stuck relay
// fails a test instead of hanging it.
package hopclient

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/hop"
)

// Client is one daemon connection. Exactly one goroutine (ReadLoop) reads
// Hop; the test writes through Write or the helpers built on it.
type Client struct {
	Conn   *quic.Conn
	Stream *quic.Stream     // the raw stream under Hop (for writing junk past the hop layer)
	Hop    *hop.Conn        // the sealed frame layer
	Frames chan *wire.Frame // frames read so far, closed when the connection ends
	Req    uint64           // the last Req that Call used

	tb   testing.TB
	bs   *hop.Stream // nil: writes go straight to the stream
	rerr chan error  // the read error that closed Frames
}

// New wraps a connection whose hop handshake already ran. It does not
// start reading: run go c.ReadLoop() for that (a test may read Hop itself
// instead).
func New(tb testing.TB, conn *quic.Conn, st *quic.Stream, hc *hop.Conn) *Client {
	return &Client{tb: tb, Conn: conn, Stream: st, Hop: hc,
		Frames: make(chan *wire.Frame, 4096), rerr: make(chan error, 1)}
}

// ReadLoop queues every frame on Frames until a read fails, then closes
// Frames.
func (c *Client) ReadLoop() {
	for {
		f := new(wire.Frame)
		if err := c.Hop.ReadFrame(f); err != nil {
			c.rerr <- err
			close(c.Frames)
			return
		}
		c.Frames <- f
	}
}

// Flush writes what a buffered client (DialBuffered) has buffered.
func (c *Client) Flush() {
	if c.bs != nil {
		if err := c.bs.Flush(); err != nil {
			c.tb.Errorf("flush: %v", err)
		}
	}
}

// Write sends f, failing the test on error.
func (c *Client) Write(f *wire.Frame) {
	c.tb.Helper()
	if err := c.Hop.WriteFrame(f); err != nil {
		c.tb.Fatalf("write frame: %v", err)
	}
}

// Next returns the next frame, failing the test after 10 s or when the
// connection ended.
func (c *Client) Next() *wire.Frame {
	c.tb.Helper()
	select { // a frame already read: no timer (benchmarks read millions)
	case f, ok := <-c.Frames:
		return c.got(f, ok)
	default:
	}
	c.Flush()
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case f, ok := <-c.Frames:
		return c.got(f, ok)
	case <-t.C:
		c.tb.Fatal("no frame within 10s")
	}
	return nil
}

func (c *Client) got(f *wire.Frame, ok bool) *wire.Frame {
	c.tb.Helper()
	if !ok {
		c.tb.Fatalf("connection closed: %v", <-c.rerr)
	}
	return f
}

// Closed waits until the relay ends the connection and returns the frames
// read before that.
func (c *Client) Closed() []*wire.Frame {
	c.tb.Helper()
	var got []*wire.Frame
	timeout := time.After(10 * time.Second)
	for {
		select {
		case f, ok := <-c.Frames:
			if !ok {
				return got
			}
			got = append(got, f)
		case <-timeout:
			c.tb.Fatal("connection not closed within 10s")
		}
	}
}

// Call sends a request with a fresh Req and returns the reply, failing
// the test when the next frame answers another Req.
func (c *Client) Call(f *wire.Frame) *wire.Frame {
	c.tb.Helper()
	c.Req++
	f.Req = c.Req
	c.Write(f)
	got := c.Next()
	if got.Req != c.Req {
		c.tb.Fatalf("reply Req %d, want %d (%v)", got.Req, c.Req, got.Type())
	}
	return got
}

// Sync proves the relay has nothing more queued for us right now: a Ping's
// Pong arrives after every frame queued before it. It returns those frames.
func (c *Client) Sync() []*wire.Frame {
	c.tb.Helper()
	n := uint64(time.Now().UnixNano())
	c.Write(&wire.Frame{Ping: &wire.Ping{N: n}})
	var got []*wire.Frame
	for {
		f := c.Next()
		if f.Pong != nil && f.Pong.N == n {
			return got
		}
		got = append(got, f)
	}
}

// Register calls Register with all of u's keys.
func (c *Client) Register(u *User) *wire.Frame {
	return c.Call(registerFrame(u))
}

func registerFrame(u *User) *wire.Frame {
	return &wire.Frame{Register: &wire.Register{Username: u.Name, Password: u.Password,
		IdentityKey: u.IDKey(), SignedPrekey: u.SPK, OneTime: u.OPKs}}
}

// Login calls Login with u's password and identity key.
func (c *Client) Login(u *User) *wire.Frame {
	return c.Call(&wire.Frame{Login: &wire.Login{Username: u.Name, Password: u.Password, IdentityKey: u.IDKey()}})
}

// Resume calls Resume, signing this connection's session ID with u's
// identity key.
func (c *Client) Resume(u *User) *wire.Frame {
	sig := u.Identity.Sign(hop.ResumeLabel, hop.ResumeMessage(c.Hop.SessionID(), u.Name))
	return c.Call(&wire.Frame{Resume: &wire.Resume{Username: u.Name, Signature: sig}})
}

// NewMsgID returns a random message ID.
func NewMsgID() []byte {
	id := make([]byte, wire.IDSize)
	rand.Read(id)
	return id
}

// Send writes a Send of body to "to" (with to's current identity key)
// without waiting for the answer.
func (c *Client) Send(id []byte, to *User, body string) {
	c.Write(&wire.Frame{Send: &wire.Send{ID: id, To: to.Name, Body: []byte(body), IdentityKey: to.IDKey()}})
}

// SendOK sends a new message and fails the test unless the next frame
// is its Accepted (of that id alone). It returns the message ID.
func (c *Client) SendOK(to *User, body string) []byte {
	c.tb.Helper()
	id := NewMsgID()
	c.Send(id, to, body)
	f := c.Next()
	if f.Accepted == nil || string(f.Accepted.ID) != string(id) || len(f.Accepted.More) != 0 {
		c.tb.Fatalf("got %v %v, want Accepted", f.Type(), ErrCode(f))
	}
	return id
}

// Ack writes an Ack of id.
func (c *Client) Ack(id []byte) { c.Write(&wire.Frame{Ack: &wire.Ack{ID: id}}) }

// AckBatch writes one Ack of every id in ids (ID, then More; version 2
// with more than one id). ids must not be empty.
func (c *Client) AckBatch(ids [][]byte) {
	c.tb.Helper()
	a := &wire.Ack{ID: ids[0]}
	if len(ids) > 1 {
		a.More = ids[1:]
	}
	c.Write(&wire.Frame{Ack: a})
}

// AcceptedIDs returns every id an Accepted frame accepts, in order (ID,
// then More); nil when f is not an Accepted.
func AcceptedIDs(f *wire.Frame) [][]byte {
	if f.Accepted == nil {
		return nil
	}
	return append([][]byte{f.Accepted.ID}, f.Accepted.More...)
}
