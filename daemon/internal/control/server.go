package control

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/securep2p/securep2p/daemon/internal/engine"
)

// Config configures a Server. Engine is required.
type Config struct {
	Engine *engine.Engine // required
	Logger *slog.Logger   // default: discard

	bodyTimeout time.Duration // tests: bound on reading a request body; 0: defaultBodyTimeout
}

// Server is the control-API HTTP server.
type Server struct {
	cfg  Config
	mux  *http.ServeMux
	stop chan struct{} // closed when Serve's context ends: streams finish
}

// New builds the server and its route table.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), stop: make(chan struct{})}
	s.routes()
	return s
}

// Serve serves ln until ctx ends, then stops accepting, ends event streams,
// waits for running requests (at most 5 seconds) and returns nil.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.guard(s.mux),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute, // keep-alive connections between requests
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	close(s.stop)
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx)
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}
