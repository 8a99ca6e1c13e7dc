package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/securep2p/securep2p/relay/store"
)

// Config configures a [Node]. Only URLs is required; every other field's
// comment states its default.
type Config struct {
	// URLs are NATS server URLs (nats://host:port), one or more servers of
	// the same cluster. Required.
	URLs []string
	// Name names this node's NATS connection (shown by the NATS monitoring
	// endpoints). Default "p2p-relay".
	Name string
	// Replicas is the replica count of the mail stream and both buckets
	// (1..5; 3 survives the loss of one NATS server). Default 3.
	Replicas int
	// MailboxTTL is how long an unacked envelope is kept; it also bounds how
	// long index entries live. Must match the relay's. Default 30 days.
	MailboxTTL time.Duration
	// MailboxMaxMsgs is the per-user envelope quota. Default 10000.
	MailboxMaxMsgs int64
	// MailboxMaxBytes is the per-user body-byte quota. Default 64 MiB.
	MailboxMaxBytes int64
	// MaxPrekeys caps stored one-time prekeys per user. Default 1000.
	MaxPrekeys int
	// DedupWindow is JetStream's Nats-Msg-Id window on the mail stream: a
	// retried append within it is never written twice. Default 10 minutes.
	DedupWindow time.Duration
	// OpTimeout bounds one NATS request. Default 5s.
	OpTimeout time.Duration
	// Workers is the number of goroutines applying mailbox writes; writes for
	// one recipient always go to the same worker, in submission order.
	// Default 64.
	Workers int
	// Registerer receives the cluster metrics. Default: a private registry.
	Registerer prometheus.Registerer
	// Logger logs operational events (never secrets). Default: discard.
	Logger *slog.Logger
}

func (c *Config) populate() error {
	if len(c.URLs) == 0 {
		return errors.New("cluster: no NATS URLs")
	}
	if c.Name == "" {
		c.Name = "p2p-relay"
	}
	if c.Replicas <= 0 {
		c.Replicas = 3
	}
	if c.Replicas > 5 {
		return errors.New("cluster: replicas must be 1..5")
	}
	setDur(&c.MailboxTTL, 30*24*time.Hour)
	setDur(&c.DedupWindow, 10*time.Minute)
	setDur(&c.OpTimeout, 5*time.Second)
	if c.MailboxMaxMsgs <= 0 {
		c.MailboxMaxMsgs = 10000
	}
	if c.MailboxMaxBytes <= 0 {
		c.MailboxMaxBytes = 64 << 20
	}
	if c.MaxPrekeys <= 0 {
		c.MaxPrekeys = 1000
	}
	if c.Workers <= 0 {
		c.Workers = 64
	}
	if c.Registerer == nil {
		c.Registerer = prometheus.NewRegistry()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return nil
}

func setDur(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// Node is one relay node's view of the cluster: a [store.Store] on
// JetStream and, through [Node.Router], the relay's router on NATS.
type Node struct {
	cfg       Config
	nc        *nats.Conn
	js        jetstream.JetStream
	mail      jetstream.Stream
	accounts  jetstream.KeyValue
	index     jetstream.KeyValue
	m         *nodeMetrics
	router    *router
	delivered *delivered

	workers []chan op
	wg      sync.WaitGroup
	mu      sync.RWMutex // held for reading while submitting, for writing while closing
	shut    bool
	close   sync.Once

	stats      atomic.Pointer[store.MailStats]
	refreshing atomic.Bool
	refreshed  atomic.Int64 // Unix nanoseconds of the last stats refresh
}

var _ store.Store = (*Node)(nil)

// natsErrors logs the NATS client's asynchronous errors (a slow consumer:
// notices dropped, made up by the router's catch-up wake) without the
// subscription's subject, which names a user; the client's default
// handler prints it to stderr.
func natsErrors(log *slog.Logger) nats.ErrHandler {
	return func(_ *nats.Conn, _ *nats.Subscription, err error) {
		log.Warn("cluster: NATS", "err", err)
	}
}

// Open connects to NATS, creates (or updates) the mail stream and the two
// buckets, and starts the mailbox workers. ctx bounds the setup only.
func Open(ctx context.Context, cfg Config) (*Node, error) {
	if err := cfg.populate(); err != nil {
		return nil, err
	}
	nc, err := nats.Connect(strings.Join(cfg.URLs, ","), nats.Name(cfg.Name), nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond), nats.Timeout(cfg.OpTimeout),
		nats.ErrorHandler(natsErrors(cfg.Logger)))
	if err != nil {
		return nil, fmt.Errorf("cluster: connect to NATS: %w", err)
	}
	n := &Node{cfg: cfg, nc: nc, delivered: newDelivered()}
	if err := n.setup(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	if n.m, err = newMetrics(cfg.Registerer); err != nil {
		nc.Close()
		return nil, err
	}
	n.router = newRouter(n)
	n.stats.Store(&store.MailStats{})
	n.startWorkers()
	return n, nil
}

func (n *Node) setup(ctx context.Context) error {
	js, err := jetstream.New(n.nc, jetstream.WithDefaultTimeout(n.cfg.OpTimeout),
		jetstream.WithPublishAsyncMaxPending(n.cfg.Workers*maxBatch),
		jetstream.WithPublishAsyncTimeout(n.cfg.OpTimeout))
	if err != nil {
		return fmt.Errorf("cluster: jetstream: %w", err)
	}
	n.js = js
	if n.mail, err = js.CreateOrUpdateStream(ctx, n.mailConfig()); err != nil {
		return fmt.Errorf("cluster: mail stream: %w", err)
	}
	if n.accounts, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: accountBucket,
		History: 1, Replicas: n.cfg.Replicas, Storage: jetstream.FileStorage}); err != nil {
		return fmt.Errorf("cluster: accounts bucket: %w", err)
	}
	// Index entries outlive their envelope (and tombstones the envelope's
	// expiry) by the dedup window; the bucket's TTL collects them.
	if n.index, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: indexBucket,
		History: 1, TTL: n.cfg.MailboxTTL + n.cfg.DedupWindow, Replicas: n.cfg.Replicas,
		Storage: jetstream.FileStorage}); err != nil {
		return fmt.Errorf("cluster: index bucket: %w", err)
	}
	return nil
}

// mailConfig: one subject per recipient, the message quota enforced by the
// server (DiscardNew per subject), reads answered by the stream leader
// (AllowDirect off, so Pending sees every acknowledged write), MaxAge a
// backstop behind the relay's own expiry sweep.
func (n *Node) mailConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:                 mailStream,
		Subjects:             []string{mailPrefix + "*"},
		Storage:              jetstream.FileStorage,
		Replicas:             n.cfg.Replicas,
		Retention:            jetstream.LimitsPolicy,
		Discard:              jetstream.DiscardNew,
		DiscardNewPerSubject: true,
		MaxMsgsPerSubject:    n.cfg.MailboxMaxMsgs,
		MaxAge:               n.cfg.MailboxTTL + time.Hour,
		Duplicates:           n.cfg.DedupWindow,
		AllowDirect:          false,
	}
}

// Close finishes queued mailbox writes, then closes the NATS connection.
// Idempotent.
func (n *Node) Close() error {
	n.close.Do(func() {
		n.mu.Lock()
		n.shut = true
		for _, w := range n.workers {
			close(w)
		}
		n.mu.Unlock()
		n.wg.Wait()
		n.router.close()
		n.nc.Close()
	})
	return nil
}

// ctx returns a context bounded by OpTimeout.
func (n *Node) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), n.cfg.OpTimeout)
}

// Stats implements [store.Mailboxes]: cluster-wide totals from the mail
// stream's state, refreshed in the background at most once a second (Bytes
// counts JetStream's stored size, headers included).
func (n *Node) Stats() store.MailStats {
	now := time.Now().UnixNano()
	if now-n.refreshed.Load() > int64(time.Second) && n.refreshing.CompareAndSwap(false, true) {
		go n.refreshStats()
	}
	return *n.stats.Load()
}

func (n *Node) refreshStats() {
	defer n.refreshing.Store(false)
	ctx, cancel := n.ctx()
	defer cancel()
	start := time.Now()
	info, err := n.mail.Info(ctx)
	n.m.roundTrip(opStreamInfo, start, err)
	if err != nil {
		return
	}
	n.stats.Store(&store.MailStats{Messages: int64(info.State.Msgs), Bytes: int64(info.State.Bytes)})
	n.refreshed.Store(time.Now().UnixNano())
}
