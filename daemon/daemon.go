// Package daemon is p2pd's composition root: it turns a [Config] into a
// state directory, the store, the engine (with its relay link) and the
// control server, and runs them until the context ends.
//
// # What it promises
//
// The state directory is created 0700 and holds one bbolt file (state.db,
// 0600) with the identity key, prekeys, sessions, contacts, history,
// outbox and event log; identity and prekeys are generated on first start.
// [New] fails when another daemon answers on the control socket or holds
// the store. [Daemon.Run] returns nil after a clean shutdown: the control
// server stops, queued relay frames are flushed, the store is closed.
//
// # What it does not do
//
// It parses no flags and handles no signals (daemon/cmd/p2pd does).
package daemon

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/control"
	"github.com/securep2p/securep2p/daemon/internal/engine"
	"github.com/securep2p/securep2p/daemon/internal/link"
	"github.com/securep2p/securep2p/daemon/internal/store"
	"github.com/securep2p/securep2p/wire/secp"
)

// StoreFile is the name of the store inside the state directory.
const StoreFile = "state.db"

// Config configures a Daemon. Relay is required.
type Config struct {
	// Relay is the relay's HOST:PORT (required), or several comma-separated
	// addresses of one deployment: relay nodes sharing one relay key (see
	// relay/CLUSTER.md), at most 16. The daemon dials them in order and,
	// when one is unreachable, closes the connection or shuts down, moves
	// to the next (wrapping around) with the reconnect backoff, resuming
	// the session without the password. The pin (RelayKey, or the key
	// trusted on first use) applies to every address.
	Relay    string
	RelayKey string       // pinned relay key, 66 hex digits; "" = the stored pin or trust on first use
	StateDir string       // default api.StateDir(os.Getenv)
	Socket   string       // default api.SocketPath(os.Getenv, StateDir)
	Version  string       // reported in status; default "dev"
	Logger   *slog.Logger // default: discard
}

// Daemon is a running p2pd.
type Daemon struct {
	cfg    Config
	db     *store.DB
	eng    *engine.Engine
	ctl    *control.Server
	ln     net.Listener
	closed sync.Once
}

// New prepares the state directory, store, engine and control socket. The
// socket is listening when New returns.
func New(cfg Config) (*Daemon, error) {
	if err := cfg.populate(); err != nil {
		return nil, err
	}
	pin, err := parseRelayKey(cfg.RelayKey)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("daemon: state directory: %w", err)
	}
	if err := os.Chmod(cfg.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("daemon: state directory: %w", err)
	}
	d := &Daemon{cfg: cfg}
	if d.db, err = store.Open(filepath.Join(cfg.StateDir, StoreFile)); err != nil {
		return nil, fmt.Errorf("daemon: %w (is another p2pd using %s?)", err, cfg.StateDir)
	}
	d.eng, err = engine.New(engine.Config{DB: d.db, RelayAddr: cfg.Relay, RelayKey: pin,
		Version: cfg.Version, Logger: cfg.Logger})
	if err == nil {
		d.ln, err = control.Listen(cfg.Socket)
	}
	if err != nil {
		_ = d.db.Close()
		return nil, err
	}
	d.ctl = control.New(control.Config{Engine: d.eng, Logger: cfg.Logger})
	return d, nil
}

func (c *Config) populate() error {
	if c.Relay == "" {
		return errors.New("daemon: the relay address is required (--relay HOST:PORT)")
	}
	if _, err := link.ParseAddrs(c.Relay); err != nil {
		return fmt.Errorf("daemon: --relay: %w", err)
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var err error
	if c.StateDir == "" {
		if c.StateDir, err = api.StateDir(os.Getenv); err != nil {
			return err
		}
	}
	if c.Socket == "" {
		c.Socket, err = api.SocketPath(os.Getenv, c.StateDir)
	}
	return err
}

func parseRelayKey(s string) (secp.PublicKey, error) {
	if s == "" {
		return secp.PublicKey{}, nil
	}
	raw, err := hex.DecodeString(s)
	if err == nil {
		var k secp.PublicKey
		if k, err = secp.ParsePublicKey(raw); err == nil {
			return k, nil
		}
	}
	return secp.PublicKey{}, fmt.Errorf("daemon: --relay-key must be a 33-byte compressed public key in hex")
}

// SocketPath is the control socket's path.
func (d *Daemon) SocketPath() string { return d.cfg.Socket }

// StateDir is the state directory in use.
func (d *Daemon) StateDir() string { return d.cfg.StateDir }

// Fingerprint is the identity key fingerprint.
func (d *Daemon) Fingerprint() string { return d.eng.Fingerprint() }

// Run serves until ctx ends, then shuts down cleanly and returns nil.
func (d *Daemon) Run(ctx context.Context) error {
	defer d.close()
	var wg sync.WaitGroup
	var ctlErr error
	wg.Add(1)
	go func() { defer wg.Done(); ctlErr = d.ctl.Serve(ctx, d.ln) }()
	engErr := d.eng.Run(ctx)
	wg.Wait()
	return errors.Join(engErr, ctlErr)
}

// close releases the socket and the store. Idempotent.
func (d *Daemon) close() {
	d.closed.Do(func() {
		_ = d.ln.Close()
		_ = d.db.Close()
	})
}

// Close releases a Daemon that will not Run.
func (d *Daemon) Close() error { d.close(); return nil }
