// Command p2pctl is the SecureP2P command-line client: a thin CLI over the
// p2pd control socket. Everything is in package ctl; see ctl/README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/securep2p/securep2p/ctl"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := ctl.Run(ctx, os.Args[1:], ctl.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}
