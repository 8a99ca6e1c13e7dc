package hopclient

import (
	"time"

	"github.com/securep2p/securep2p/wire"
)

// CallAsync is Call for a client used from a goroutine other than the
// test's while nothing else reads its frames: it skips frames answering
// other requests and reports a failure (write error, closed connection, no
// answer within 20 s) as an Error frame with CodeInternal instead of
// failing the test from that goroutine.
func (c *Client) CallAsync(f *wire.Frame) *wire.Frame {
	c.Req++
	f.Req = c.Req
	if err := c.Hop.WriteFrame(f); err != nil {
		return &wire.Frame{Error: &wire.Error{Code: wire.CodeInternal}}
	}
	for {
		select {
		case g, ok := <-c.Frames:
			if !ok {
				return &wire.Frame{Error: &wire.Error{Code: wire.CodeInternal}}
			}
			if g.Req == c.Req {
				return g
			}
		case <-time.After(20 * time.Second):
			return &wire.Frame{Error: &wire.Error{Code: wire.CodeInternal}}
		}
	}
}

// RegisterAsync is Register through CallAsync.
func (c *Client) RegisterAsync(u *User) *wire.Frame {
	return c.CallAsync(registerFrame(u))
}
