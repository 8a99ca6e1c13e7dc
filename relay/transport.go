package relay

import (
	"context"
	"errors"
	"net"
	"sync"

	"github.com/quic-go/quic-go"

	"github.com/securep2p/securep2p/metrics"
	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/hop"
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

// addrKey is the IP of a UDP address (ports do not count as identities).
func addrKey(a net.Addr) string {
	if ua, ok := a.(*net.UDPAddr); ok {
		return ua.IP.String()
	}
	if a == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
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
