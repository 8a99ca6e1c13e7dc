package relay

import (
	"crypto/tls"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/securep2p/securep2p/metrics"
	"github.com/securep2p/securep2p/relay/store"
	"github.com/securep2p/securep2p/wire/secp"
)

// Config configures a relay. The zero value works: every field's comment
// states its default.
type Config struct {
	// StateDir holds the relay key, TLS certificate and database; created
	// 0700 when missing. Default DefaultStateDir().
	StateDir string
	// Key is the relay's long-term hop key. Default: StateDir/relay.key,
	// created on first start.
	Key *secp.PrivateKey
	// Certificate is the TLS certificate. Default: StateDir/cert.pem and
	// key.pem, a self-signed pair created on first start.
	Certificate *tls.Certificate
	// Store holds accounts, prekeys and mailboxes. Default: bbolt at
	// StateDir/relay.db with the mailbox limits below. A given Store is not
	// closed by the relay.
	Store store.Store
	// Router finds the connection of a recipient. Default: in-process.
	Router Router
	// Metrics receives the relay's metrics. Default: a set on a private
	// registry (not exported anywhere).
	Metrics *metrics.Relay
	// Logger logs operational events (never secrets). Default: discard.
	Logger *slog.Logger
	// Now is the clock for TTLs, rate limits and timestamps. Default time.Now.
	Now func() time.Time

	// HandshakeTimeout bounds QUIC + hop handshake. Default 10s.
	HandshakeTimeout time.Duration
	// IdleTimeout closes a silent connection. Default 60s (clients ping).
	IdleTimeout time.Duration
	// MaxConnsPerAddr caps concurrent connections from one IP. Default 32.
	MaxConnsPerAddr int
	// RetryAbove: with more handshakes than this in progress, new
	// connections must pass QUIC Retry (address validation). Default 64.
	RetryAbove int
	// WriteQueue is the per-connection queue of replies to write (answers
	// to Sends and Delivers do not use it); a full queue makes the
	// connection's reader wait. Allocated for every connection. Default 32.
	WriteQueue int

	// MailboxTTL is how long an unacked envelope is kept. Default 30 days.
	MailboxTTL time.Duration
	// MailboxMaxMsgs is the per-user envelope quota. Default 10000.
	MailboxMaxMsgs int64
	// MailboxMaxBytes is the per-user body-byte quota. Default 64 MiB.
	MailboxMaxBytes int64
	// MaxPrekeys caps stored one-time prekeys per user. Default 1000.
	MaxPrekeys int
	// SweepInterval is how often expired envelopes are removed. Default 1m.
	SweepInterval time.Duration

	// MaxConcurrentHashes caps Argon2id hashes running at once (19 MiB
	// each). Default GOMAXPROCS.
	MaxConcurrentHashes int
	// AuthRatePerAddr and AuthBurstPerAddr limit Register/Login/Resume
	// attempts per source IP. Default 1/s, burst 20.
	AuthRatePerAddr  float64
	AuthBurstPerAddr int
	// LoginFreeFailures is how many consecutive failures per username cost
	// nothing; later attempts back off exponentially from 1s up to 15m.
	// Default 5.
	LoginFreeFailures int
	// MaxLoginFailures locks a username for LoginLockout after this many
	// consecutive failures. Default and maximum 100.
	MaxLoginFailures int
	// LoginLockout is the lock after MaxLoginFailures. Default 1h.
	LoginLockout time.Duration
	// SendRate and SendBurst limit Send frames per connection. Default
	// 20000/s, burst 2000.
	SendRate  float64
	SendBurst int
	// FetchRate and FetchBurst limit FetchBundle per connection and, with
	// a second bucket shared by all its connections, per account (they
	// consume other users' one-time prekeys). Default 5/s, burst 50.
	FetchRate  float64
	FetchBurst int

	// ackWait is how long a pushed envelope waits for the recipient's Ack
	// before it is written (tests only): the floor of the adaptive hold, and
	// its ceiling too when above the store's MaxAckWait (2s). Default: the
	// store's (100ms).
	ackWait time.Duration
	// writerLinger is how long a session's writer goroutine waits for more
	// work before it exits (tests only). Default 1s.
	writerLinger time.Duration
}

func (c *Config) populate() {
	if c.StateDir == "" {
		c.StateDir = DefaultStateDir()
	}
	if c.Metrics == nil {
		c.Metrics = metrics.NewRelay(prometheus.NewRegistry())
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Router == nil {
		c.Router = NewLocalRouter()
	}
	setDur(&c.HandshakeTimeout, 10*time.Second)
	setDur(&c.IdleTimeout, 60*time.Second)
	setDur(&c.MailboxTTL, 30*24*time.Hour)
	setDur(&c.SweepInterval, time.Minute)
	setDur(&c.writerLinger, time.Second)
	setDur(&c.LoginLockout, time.Hour)
	setInt(&c.MaxConnsPerAddr, 32)
	setInt(&c.RetryAbove, 64)
	setInt(&c.WriteQueue, 32)
	setInt(&c.MaxPrekeys, 1000)
	setInt(&c.MaxConcurrentHashes, runtime.GOMAXPROCS(0))
	setInt(&c.AuthBurstPerAddr, 20)
	setInt(&c.LoginFreeFailures, 5)
	setInt(&c.SendBurst, 2000)
	setInt(&c.FetchBurst, 50)
	if c.MaxLoginFailures <= 0 || c.MaxLoginFailures > 100 {
		c.MaxLoginFailures = 100
	}
	c.LoginFreeFailures = min(c.LoginFreeFailures, c.MaxLoginFailures)
	setFloat(&c.AuthRatePerAddr, 1)
	setFloat(&c.SendRate, 20000)
	setFloat(&c.FetchRate, 5)
	if c.MailboxMaxMsgs <= 0 {
		c.MailboxMaxMsgs = 10000
	}
	if c.MailboxMaxBytes <= 0 {
		c.MailboxMaxBytes = 64 << 20
	}
}

func (c *Config) path(name string) string { return filepath.Join(c.StateDir, name) }

func setDur(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

func setInt(n *int, def int) {
	if *n <= 0 {
		*n = def
	}
}

func setFloat(f *float64, def float64) {
	if *f <= 0 {
		*f = def
	}
}
