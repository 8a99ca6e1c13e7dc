package relay

import (
	"context"
	"errors"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/securep2p/securep2p/metrics"
	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/hop"
)

// handleConn runs one client connection: stream accept and hop handshake
// under HandshakeTimeout, then the session until either side ends it.
func (s *Server) handleConn(ctx context.Context, conn *quic.Conn) {
	s.m.ConnectionsTotal.Inc()
	s.m.Connections.Inc()
	defer s.m.Connections.Dec()
	hc, stream, bs, err := s.handshake(ctx, conn)
	if err != nil {
		return
	}
	byVersion := s.m.ConnectionsProtocol.WithLabelValues(metrics.ProtocolLabel(hc.Version()))
	byVersion.Inc()
	defer byVersion.Dec()
	newSession(s, conn, stream, bs, hc).run(ctx)
}

func (s *Server) handshake(ctx context.Context, conn *quic.Conn) (*hop.Conn, *quic.Stream, *hop.Stream, error) {
	hctx, cancel := context.WithTimeout(ctx, s.cfg.HandshakeTimeout)
	defer cancel()
	stream, err := conn.AcceptStream(hctx)
	if err != nil {
		s.handshakeFailed(ctx, conn, hctx, err)
		return nil, nil, nil, err
	}
	_ = stream.SetDeadline(time.Now().Add(s.cfg.HandshakeTimeout))
	binding, err := hop.Binding(conn.ConnectionState().TLS)
	if err == nil {
		bs := hop.NewStream(stream)
		var hc *hop.Conn
		if hc, err = hop.Server(hctx, bs, binding, s.key); err == nil {
			_ = stream.SetDeadline(time.Time{})
			s.m.Handshakes.WithLabelValues(metrics.ResultOK).Inc()
			bs.Buffer()
			return hc, stream, bs, nil
		}
	}
	s.handshakeFailed(ctx, conn, hctx, err)
	return nil, nil, nil, err
}

// handshakeFailed counts and closes a connection whose handshake failed.
// hop.Server has already sent a fatal Error frame where it could; the QUIC
// close carries the code too.
//
// When the relay is shutting down (ctx done) the close is immediate and says
// CodeShuttingDown: Serve closes the QUIC transport right after, which drops
// connections without a CONNECTION_CLOSE, and a delayed close would never
// reach the client (it would only notice at its idle timeout).
func (s *Server) handshakeFailed(ctx context.Context, conn *quic.Conn, hctx context.Context, err error) {
	if ctx.Err() != nil {
		_ = conn.CloseWithError(quic.ApplicationErrorCode(wire.CodeShuttingDown), wire.CodeShuttingDown.String())
		return
	}
	result, reason := metrics.ResultFailed, metrics.BadHandshake
	if hctx.Err() != nil || isTimeout(err) {
		result, reason = metrics.ResultTimeout, metrics.BadTimeout
	}
	s.m.Handshakes.WithLabelValues(result).Inc()
	s.m.BadInput.WithLabelValues(reason).Inc()
	time.AfterFunc(100*time.Millisecond, func() {
		_ = conn.CloseWithError(quic.ApplicationErrorCode(wire.CodeHandshake), wire.CodeHandshake.String())
	})
}

func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// isBadInput tells a protocol violation by the peer (counted, answered with
// CodeBadFrame) from the connection simply going away.
func isBadInput(err error) bool {
	return errors.Is(err, hop.ErrAuth) || errors.Is(err, hop.ErrSequence) ||
		errors.Is(err, wire.ErrMalformed) || errors.Is(err, wire.ErrInvalid) || errors.Is(err, wire.ErrTooLarge)
}
