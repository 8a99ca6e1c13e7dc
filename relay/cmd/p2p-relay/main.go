// Command p2p-relay runs a SecureP2P relay. With no flags it keeps its key,
// certificate and database in $XDG_STATE_HOME/securep2p-relay (else
// ~/.local/state/securep2p-relay), listens for QUIC on :4433 and serves
// metrics on 127.0.0.1:9464. On start it prints, on stdout, exactly:
//
//	relay key: <66 hex characters>
//	listening on <host:port>
//	metrics on <host:port>
//
// (the real ports when :0 was asked for). SIGTERM or SIGINT stops it
// gracefully: stop accepting, flush writers, close the store, exit 0.
// With --cluster nats://HOST:PORT[,...] accounts, prekeys and mailboxes live
// in NATS JetStream and several relay nodes serve the same users (see
// relay/CLUSTER.md).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "p2p-relay:", err)
		stop()
		os.Exit(exitCode(err))
	}
}
