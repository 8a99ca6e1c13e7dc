package link

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

// Handler receives the link's events. Up runs in its own goroutine per
// connection; Frame runs on the reader goroutine and must not call
// [Conn.Request] (the reply could never be read); Down runs once after a
// connection ended.
type Handler interface {
	Up(ctx context.Context, c *Conn) error // authenticate; an error closes the connection
	Frame(c *Conn, f *wire.Frame)          // unsolicited frames: Deliver, Accepted, Error with ID
	Down(c *Conn, err error)
}

// Config configures a [Link]. Handler and at least one address (Addr or
// Addrs) are required.
type Config struct {
	// Addr is a relay HOST:PORT, tried first. Default: none (Addrs only).
	Addr string
	// Addrs are relay HOST:PORT addresses of one deployment (nodes sharing
	// one relay key), tried after Addr. The link dials them in order and
	// moves to the next one (wrapping around) after a failed dial or an
	// ended connection; the pin applies to every one. Default: none.
	Addrs []string

	Pin       secp.PublicKey             // pinned relay key; zero = trust on first use
	RecordPin func(secp.PublicKey) error // stores a TOFU key; nil = not recorded
	Handler   Handler                    // required
	OnState   func(State)                // called after every state change (not under a lock); nil = none

	KeepAlive   time.Duration // Ping interval; default 15s
	PongTimeout time.Duration // a Ping followed by this much silence ends the connection (up to 3x while QUIC packets still arrive); default 5s
	DialTimeout time.Duration // QUIC dial + hop handshake; default 10s
	MinBackoff  time.Duration // first reconnect delay; default 250ms
	MaxBackoff  time.Duration // reconnect delay cap; default 30s
	QueueLen    int           // frames waiting for the writer; default 256
	DrainTime   time.Duration // time to flush queued frames on shutdown; default 2s
	Logger      *slog.Logger  // default: discard

	// Transport, when set, is the QUIC transport (one UDP socket) every
	// connection of this link is dialled from; several links may share
	// one (the load generator does). The caller owns it and closes it
	// after Run returned. Shared by many connections, it needs long
	// connection IDs (ConnectionIDLength 16): quic-go's default 4-byte
	// IDs collide among thousands of connections, and quic-go then
	// misroutes one connection's packets to the other. Default: nil, a
	// new UDP socket per connection (zero-length IDs, no collision).
	Transport *quic.Transport

	dial dialFunc // default dialQUIC; tests substitute a fake
}

// addrs is Addr followed by Addrs.
func (c *Config) addrs() []string {
	if c.Addr == "" {
		return c.Addrs
	}
	return append([]string{c.Addr}, c.Addrs...)
}

func (c *Config) populate() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.KeepAlive, 15*time.Second)
	def(&c.PongTimeout, 5*time.Second)
	def(&c.DialTimeout, 10*time.Second)
	def(&c.MinBackoff, 250*time.Millisecond)
	def(&c.MaxBackoff, 30*time.Second)
	def(&c.DrainTime, 2*time.Second)
	if c.QueueLen <= 0 {
		c.QueueLen = 256
	}
	if c.dial == nil {
		c.dial = dialQUIC
		if c.Transport != nil {
			c.dial = dialOn(c.Transport)
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}
