package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/securep2p/securep2p/metrics"
	"github.com/securep2p/securep2p/relay"
	"github.com/securep2p/securep2p/relay/cluster"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

var errUsage = errors.New("usage")

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

type args struct {
	listen, metrics, stateDir string
	certFile, keyFile         string
	showVersion               bool
	cluster                   string // NATS URLs, comma-separated; empty: embedded store
	clusterReplicas           int
	cfg                       relay.Config
}

func parseArgs(argv []string, stderr io.Writer) (*args, error) {
	a := &args{}
	fs := flag.NewFlagSet("p2p-relay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&a.listen, "listen", ":4433", "UDP address for QUIC")
	fs.StringVar(&a.metrics, "metrics", "127.0.0.1:9464", "TCP address for /metrics, /healthz, /readyz (\"off\" disables)")
	fs.StringVar(&a.stateDir, "state-dir", relay.DefaultStateDir(), "directory for the relay key, certificate and database")
	fs.StringVar(&a.certFile, "cert", "", "TLS certificate PEM (with --key); default: self-signed in the state dir")
	fs.StringVar(&a.keyFile, "key", "", "TLS private key PEM (with --cert)")
	fs.BoolVar(&a.showVersion, "version", false, "print the version and exit")
	fs.StringVar(&a.cluster, "cluster", "", "NATS JetStream URLs nats://HOST:PORT[,nats://...]: keep accounts, prekeys and mailboxes in NATS and route between relay nodes (default: embedded bbolt, one node)")
	fs.IntVar(&a.clusterReplicas, "cluster-replicas", 3, "JetStream replicas of the mail stream and buckets (with --cluster)")
	c := &a.cfg
	fs.DurationVar(&c.MailboxTTL, "mailbox-ttl", 30*24*time.Hour, "how long an unacknowledged envelope is kept")
	fs.Int64Var(&c.MailboxMaxMsgs, "mailbox-max-msgs", 10000, "envelopes per mailbox")
	fs.Int64Var(&c.MailboxMaxBytes, "mailbox-max-bytes", 64<<20, "body bytes per mailbox")
	fs.IntVar(&c.MaxConnsPerAddr, "max-conns-per-addr", 32, "concurrent connections per source IP")
	fs.DurationVar(&c.HandshakeTimeout, "handshake-timeout", 10*time.Second, "QUIC and hop handshake time limit")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", 60*time.Second, "close connections silent for this long")
	fs.IntVar(&c.MaxConcurrentHashes, "max-concurrent-hashes", 0, "Argon2id hashes at once, 19 MiB each (default GOMAXPROCS)")
	fs.Float64Var(&c.AuthRatePerAddr, "auth-rate", 1, "login/register attempts per second per source IP")
	fs.IntVar(&c.AuthBurstPerAddr, "auth-burst", 20, "login/register burst per source IP")
	fs.IntVar(&c.MaxLoginFailures, "max-login-failures", 100, "consecutive failures before a username is locked (at most 100)")
	fs.IntVar(&c.MaxPrekeys, "max-prekeys", 1000, "one-time prekeys stored per user")
	if err := fs.Parse(argv); err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() != 0 {
		return nil, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if (a.certFile == "") != (a.keyFile == "") {
		return nil, fmt.Errorf("%w: --cert and --key go together", errUsage)
	}
	return a, nil
}

func run(ctx context.Context, argv []string, stdout, stderr io.Writer) error {
	a, err := parseArgs(argv, stderr)
	if err != nil {
		return err
	}
	if a.showVersion {
		fmt.Fprintln(stdout, "p2p-relay", version)
		return nil
	}
	if a.certFile != "" {
		cert, err := tls.LoadX509KeyPair(a.certFile, a.keyFile)
		if err != nil {
			return fmt.Errorf("load --cert/--key: %w", err)
		}
		a.cfg.Certificate = &cert
	}
	reg := metrics.NewRegistry()
	a.cfg.StateDir = a.stateDir
	a.cfg.Metrics = metrics.NewRelay(reg)
	a.cfg.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	if a.cluster != "" {
		node, err := openCluster(ctx, a, reg)
		if err != nil {
			return err
		}
		defer node.Close()
		a.cfg.Store, a.cfg.Router = node, node.Router()
	}
	srv, err := relay.New(a.cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	return serve(ctx, a, srv, reg, stdout)
}

// openCluster connects to the NATS cluster named by --cluster (the relay
// then keeps its state there; see relay/CLUSTER.md).
func openCluster(ctx context.Context, a *args, reg prometheus.Registerer) (*cluster.Node, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	node, err := cluster.Open(ctx, cluster.Config{URLs: strings.Split(a.cluster, ","), Replicas: a.clusterReplicas,
		MailboxTTL: a.cfg.MailboxTTL, MailboxMaxMsgs: a.cfg.MailboxMaxMsgs, MailboxMaxBytes: a.cfg.MailboxMaxBytes,
		MaxPrekeys: a.cfg.MaxPrekeys, Registerer: reg, Logger: a.cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("--cluster: %w", err)
	}
	return node, nil
}

func serve(ctx context.Context, a *args, srv *relay.Server, reg prometheus.Gatherer, stdout io.Writer) error {
	pc, err := net.ListenPacket("udp", a.listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", a.listen, err)
	}
	defer pc.Close()
	var mln net.Listener
	if a.metrics != "off" {
		if mln, err = net.Listen("tcp", a.metrics); err != nil {
			return fmt.Errorf("metrics listen %s: %w", a.metrics, err)
		}
	}
	fmt.Fprintf(stdout, "relay key: %s\n", srv.PublicKey())
	fmt.Fprintf(stdout, "listening on %s\n", pc.LocalAddr())
	mctx, stopMetrics := context.WithCancel(context.WithoutCancel(ctx))
	mdone := make(chan error, 1)
	if mln != nil {
		fmt.Fprintf(stdout, "metrics on %s\n", mln.Addr())
		go func() { mdone <- metrics.Serve(mctx, mln, metrics.Handler(reg, srv.Ready)) }()
	} else {
		mdone <- nil
	}
	err = srv.Serve(ctx, pc)
	stopMetrics()
	if merr := <-mdone; err == nil && merr != nil {
		err = fmt.Errorf("metrics: %w", merr)
	}
	if cerr := srv.Close(); err == nil {
		err = cerr
	}
	return err
}
