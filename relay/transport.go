package relay

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"sync"

	"github.com/quic-go/quic-go"

	"github.com/securep2p/securep2p/metrics"
	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/hop"
	"github.com/securep2p/securep2p/wire/secp"
)

// Receive windows: a stream may buffer two maximum sealed frames at first
// and grow to eight; the connection (one stream) the same.
const (
	sealedFrameMax = hop.Overhead + wire.MaxFrameSize
	initialWindow  = 2 * sealedFrameMax
	maxWindow      = 8 * sealedFrameMax
)

func (s *Server) quicConfig() *quic.Config {
	return &quic.Config{
		HandshakeIdleTimeout:           s.cfg.HandshakeTimeout,
		MaxIdleTimeout:                 s.cfg.IdleTimeout,
		MaxIncomingStreams:             1,
		MaxIncomingUniStreams:          -1,
		InitialStreamReceiveWindow:     initialWindow,
		MaxStreamReceiveWindow:         maxWindow,
		InitialConnectionReceiveWindow: initialWindow,
		MaxConnectionReceiveWindow:     maxWindow,
		Allow0RTT:                      false,
	}
}

// statelessResetLabel is the HKDF info that derives the QUIC stateless
// reset key from the relay's long-term key.
const statelessResetLabel = "securep2p/v1/stateless-reset"

// newTransport is the relay's QUIC transport on pc. Its stateless reset key
// is derived from the relay key, so a relay restarted with the same state
// directory answers packets of its previous incarnation's connections with
// a stateless reset (RFC 9000 section 10.3) and daemons reconnect at once
// instead of at their idle timeout.
func (s *Server) newTransport(pc net.PacketConn) (*quic.Transport, error) {
	key, err := statelessResetKey(s.key)
	if err != nil {
		return nil, err
	}
	return &quic.Transport{Conn: pc, StatelessResetKey: key, ConnectionIDLength: connIDLength,
		VerifySourceAddress: s.verifySource, ConnContext: s.connContext}, nil
}

// connIDLength is the length of the relay's QUIC connection IDs. quic-go's
// default of 4 bytes lets the IDs of tens of thousands of connections (up
// to 4 each) collide now and then, and quic-go (v0.65) then routes one
// connection's packets to another: a handshake that never completes (3 of
// 26 runs of 10,000 connections each lost one), or an established
// connection that falls silent. At 16 bytes a collision is negligible.
const connIDLength = 16

// statelessResetKey is HKDF-SHA256(relay key, info statelessResetLabel):
// stable for one relay key, unrelated across keys, and revealing nothing
// about the relay key (reset tokens are sent in clear). Never log it.
func statelessResetKey(k *secp.PrivateKey) (*quic.StatelessResetKey, error) {
	secret := k.Bytes()
	defer clear(secret)
	var key quic.StatelessResetKey
	b, err := hkdf.Key(sha256.New, secret, nil, statelessResetLabel, len(key))
	if err != nil {
		return nil, errors.New("relay: derive stateless reset key")
	}
	copy(key[:], b)
	clear(b)
	return &key, nil
}

// tlsConfig is hop's server TLS configuration without session tickets:
// daemons never resume TLS sessions (hop authenticates every connection
// afresh), so a ticket per connection would only cost CPU and memory.
func (s *Server) tlsConfig() *tls.Config {
	c := hop.ServerTLSConfig(s.cert)
	c.SessionTicketsDisabled = true
	return c
}

// verifySource asks for QUIC Retry (address validation) while more than
// RetryAbove handshakes are in progress.
func (s *Server) verifySource(net.Addr) bool {
	return s.handshaking.Load() > int64(s.cfg.RetryAbove)
}

var errTooManyConns = errors.New("relay: too many connections from this address")

type handshakeKey struct{}

// handshakeToken counts a connection as "handshaking" until the QUIC
// handshake finished or the connection ended, whichever is first.
type handshakeToken struct{ once sync.Once }

func (t *handshakeToken) done(s *Server) { t.once.Do(func() { s.handshaking.Add(-1) }) }

func handshakeDone(ctx context.Context, s *Server) {
	if t, ok := ctx.Value(handshakeKey{}).(*handshakeToken); ok {
		t.done(s)
	}
}

// connContext admits a new QUIC connection: it enforces MaxConnsPerAddr and
// starts the handshake count. Both are released when the connection ends.
func (s *Server) connContext(ctx context.Context, info *quic.ClientInfo) (context.Context, error) {
	ip := addrKey(info.RemoteAddr)
	if !s.conns.add(ip, s.cfg.MaxConnsPerAddr) {
		s.m.RateLimited.WithLabelValues(metrics.ScopeConnection).Inc()
		return nil, errTooManyConns
	}
	s.handshaking.Add(1)
	tok := &handshakeToken{}
	context.AfterFunc(ctx, func() {
		s.conns.remove(ip)
		tok.done(s)
	})
	return context.WithValue(ctx, handshakeKey{}, tok), nil
}

// addrKey is the identity of a source address for the per-address limits:
// an IPv4 address (IPv4-mapped IPv6 included) as is, an IPv6 address by
// its /64, the smallest block a subscriber is usually given (so one host
// cannot multiply its limits by cycling through its own addresses). Ports
// do not count.
func addrKey(a net.Addr) string {
	var ip net.IP
	switch v := a.(type) {
	case nil:
		return ""
	case *net.UDPAddr:
		ip = v.IP
	case *net.TCPAddr:
		ip = v.IP
	default:
		host, _, err := net.SplitHostPort(a.String())
		if err != nil {
			return a.String()
		}
		ip = net.ParseIP(host)
		if ip == nil {
			return host
		}
	}
	return ipKey(ip)
}

// ipv6KeyBits is the prefix length IPv6 sources are limited by.
const ipv6KeyBits = 64

func ipKey(ip net.IP) string {
	addr, ok := netip.AddrFromSlice(ip)
	if !ok {
		return ip.String()
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is4() {
		return addr.String()
	}
	return netip.PrefixFrom(addr, ipv6KeyBits).Masked().String()
}

// addrCounter counts open connections per IP.
type addrCounter struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *addrCounter) add(ip string, limit int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[ip] >= limit {
		return false
	}
	c.m[ip]++
	return true
}

func (c *addrCounter) remove(ip string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[ip]--; c.m[ip] <= 0 {
		delete(c.m, ip)
	}
}
