// Command p2pd is the SecureP2P client daemon: it keeps the user's keys,
// one connection to the relay and the message store, and serves the
// control API on a Unix socket (see daemon/api).
//
//	p2pd --relay HOST:PORT[,HOST:PORT...] [--relay-key HEX] [--state-dir DIR] [--socket PATH]
//
// Several --relay addresses are nodes of one relay deployment sharing one
// relay key (relay/CLUSTER.md): p2pd uses one at a time and moves to the
// next when it is unreachable or goes away; one pin covers them all.
//
// Once the socket listens it prints, on stdout:
//
//	control socket: PATH
//	identity: FINGERPRINT
//	state dir: DIR
//
// SIGTERM or SIGINT stops it cleanly (exit 0).
//
//	p2pd bench [FLAGS]
//
// runs the load generator instead (daemon/internal/loadgen; `p2pd bench
// --help` lists the workloads).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/securep2p/securep2p/daemon"
	"github.com/securep2p/securep2p/daemon/internal/loadgen"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "bench" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		code := loadgen.Main(ctx, os.Args[2:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	cfg := daemon.Config{Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	flag.StringVar(&cfg.Relay, "relay", "", "relay `HOST:PORT` (required); several comma-separated nodes of one deployment\n"+
		"(sharing one relay key) are used in turn: when one is unreachable or goes away, p2pd moves to the next")
	flag.StringVar(&cfg.RelayKey, "relay-key", "", "pin the relay's public key (`HEX`, as p2p-relay prints it; one key for every --relay address); default: trust on first use")
	flag.StringVar(&cfg.StateDir, "state-dir", "", "state `DIR` (default $XDG_STATE_HOME/securep2p)")
	flag.StringVar(&cfg.Socket, "socket", "", "control socket `PATH` (default $XDG_RUNTIME_DIR/securep2p/p2pd.sock, else in the state dir)")
	flag.Parse()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "p2pd:", err)
		os.Exit(1)
	}
}

func run(cfg daemon.Config) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	d, err := daemon.New(cfg)
	if err != nil {
		return err
	}
	fmt.Printf("control socket: %s\nidentity: %s\nstate dir: %s\n", d.SocketPath(), d.Fingerprint(), d.StateDir())
	return d.Run(ctx)
}
