// Package relaytest runs a real relay (relay.New + Serve on a UDP socket on
// 127.0.0.1) for other packages' tests, the way net/http/httptest runs a
// real HTTP server. It is imported only from _test.go files; nothing in the
// binaries links it. The daemon side of such tests (dial, hop handshake,
// Register/Login/Resume/Send) is relaytest/hopclient: hopclient.Dial(tb,
// r.Addr, r.Key).
package relaytest

import (
	"context"
	"net"
	"sync"
	"testing"

	"github.com/securep2p/securep2p/relay"
	"github.com/securep2p/securep2p/wire/secp"
)

// Relay is a relay serving on 127.0.0.1 until Stop or the test's cleanup.
type Relay struct {
	Addr   string         // HOST:PORT it listens on
	Key    secp.PublicKey // its long-term key (what daemons pin)
	Server *relay.Server

	stop func()
}

// Start starts a relay with cfg. An empty cfg.StateDir becomes a test
// temporary directory. The relay stops when the test ends.
func Start(tb testing.TB, cfg relay.Config) *Relay {
	tb.Helper()
	if cfg.StateDir == "" {
		cfg.StateDir = tb.TempDir()
	}
	srv, err := relay.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ctx, pc) }()
	var once sync.Once
	r := &Relay{Addr: pc.LocalAddr().String(), Key: srv.PublicKey(), Server: srv, stop: func() {
		once.Do(func() { cancel(); <-done; _ = pc.Close(); _ = srv.Close() })
	}}
	tb.Cleanup(r.Stop)
	return r
}

// Stop ends Serve (open connections get CodeShuttingDown) and closes the
// store. It is idempotent.
func (r *Relay) Stop() { r.stop() }
