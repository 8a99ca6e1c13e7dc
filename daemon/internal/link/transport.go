package link

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/hop"
	"github.com/securep2p/securep2p/wire/secp"
)

// transport is one dialled, hop-authenticated connection to a relay: QUIC
// in production, a fake in the package's tests.
type transport interface {
	frameConn
	SessionID() [32]byte
	RelayKey() secp.PublicKey
	Context() context.Context // ends when the connection is lost
	CloseWrite() error        // FIN on the stream: we send nothing more
	Close() error             // closes the whole connection
}

// dialFunc dials addr and runs the hop handshake with pin (zero = accept
// any key; the caller records it). A key mismatch wraps
// hop.ErrRelayKeyMismatch.
type dialFunc func(ctx context.Context, addr string, pin secp.PublicKey, keepAlive time.Duration) (transport, error)

// quicTransport is a hop connection on one QUIC stream.
type quicTransport struct {
	*hop.Conn
	qc *quic.Conn
	st *quic.Stream
	bs *hop.Stream
}

// Stats are the QUIC connection's packet counters.
func (t *quicTransport) Stats() Stats {
	s := t.qc.ConnectionStats()
	return Stats{PacketsSent: s.PacketsSent, PacketsReceived: s.PacketsReceived, PacketsLost: s.PacketsLost}
}

// Flush writes the frames buffered since the last Flush (writer goroutine).
func (t *quicTransport) Flush() error { return t.bs.Flush() }

func (t *quicTransport) Context() context.Context { return t.qc.Context() }
func (t *quicTransport) CloseWrite() error        { return t.st.Close() }
func (t *quicTransport) Close() error             { return t.qc.CloseWithError(0, "bye") }

// quicConfig is the QUIC configuration of every relay connection.
func quicConfig(keepAlive time.Duration) *quic.Config {
	return &quic.Config{KeepAlivePeriod: keepAlive, MaxIdleTimeout: 3 * keepAlive}
}

// dialQUIC is the production dialFunc: a UDP socket of its own per
// connection.
func dialQUIC(ctx context.Context, addr string, pin secp.PublicKey, keepAlive time.Duration) (transport, error) {
	return connect(ctx, addr, pin, func(ctx context.Context) (*quic.Conn, error) {
		return quic.DialAddr(ctx, addr, hop.ClientTLSConfig(), quicConfig(keepAlive))
	})
}

// dialOn is the dialFunc for [Config.Transport]: connections share tr's
// UDP socket, which the caller owns.
func dialOn(tr *quic.Transport) dialFunc {
	return func(ctx context.Context, addr string, pin secp.PublicKey, keepAlive time.Duration) (transport, error) {
		ua, err := net.ResolveUDPAddr("udp", addr)
		if err != nil {
			return nil, fmt.Errorf("link: dial %s: %w", addr, err)
		}
		return connect(ctx, addr, pin, func(ctx context.Context) (*quic.Conn, error) {
			return tr.Dial(ctx, ua, hop.ClientTLSConfig(), quicConfig(keepAlive))
		})
	}
}

// quicDial opens one new QUIC connection to the relay.
type quicDial func(ctx context.Context) (*quic.Conn, error)

// connect dials and runs the hop handshake offering wire.ProtocolVersion.
// A relay that answers with CodeVersion speaks only an older protocol: it
// is dialled once more, on a new QUIC connection, offering
// wire.MinProtocolVersion, and that connection is used (without the
// version-2 features). Nothing else is retried here.
func connect(ctx context.Context, addr string, pin secp.PublicKey, dial quicDial) (transport, error) {
	t, err := connectVersion(ctx, addr, pin, dial, wire.ProtocolVersion)
	if !olderRelay(err) {
		return t, err
	}
	return connectVersion(ctx, addr, pin, dial, wire.MinProtocolVersion)
}

func connectVersion(ctx context.Context, addr string, pin secp.PublicKey, dial quicDial, v uint64) (transport, error) {
	qc, err := dial(ctx)
	if err != nil {
		return nil, fmt.Errorf("link: dial %s: %w", addr, err)
	}
	return handshake(ctx, qc, addr, pin, v)
}

// olderRelay reports whether err is the relay refusing the offered
// protocol version (a fatal Error{CodeVersion} in the handshake).
func olderRelay(err error) bool {
	var re *wire.RemoteError
	return errors.As(err, &re) && re.Code == wire.CodeVersion
}

// handshake opens the stream on a dialled QUIC connection and runs the hop
// handshake on it offering protocol version v; any failure closes qc.
func handshake(ctx context.Context, qc *quic.Conn, addr string, pin secp.PublicKey, v uint64) (transport, error) {
	st, err := qc.OpenStreamSync(ctx)
	if err != nil {
		_ = qc.CloseWithError(0, "no stream")
		return nil, fmt.Errorf("link: open stream to %s: %w", addr, err)
	}
	binding, err := hop.Binding(qc.ConnectionState().TLS)
	if err != nil {
		_ = qc.CloseWithError(0, "no channel binding")
		return nil, fmt.Errorf("link: channel binding: %w", err)
	}
	bs := hop.NewStream(st)
	hc, err := hop.ClientVersion(ctx, bs, binding, pin, v)
	if err != nil {
		_ = qc.CloseWithError(0, "handshake failed")
		return nil, fmt.Errorf("link: hop handshake with %s: %w", addr, err)
	}
	bs.Buffer()
	return &quicTransport{Conn: hc, qc: qc, st: st, bs: bs}, nil
}
