package engine

import (
	"io"
	"log/slog"
	"time"

	"github.com/securep2p/securep2p/daemon/internal/store"
	"github.com/securep2p/securep2p/wire/secp"
)

// Config configures an [Engine]. DB and RelayAddr are required.
type Config struct {
	DB        *store.DB      // required; the engine does not close it
	RelayAddr string         // relay HOST:PORT, or several of one deployment comma-separated (link.ParseAddrs; required)
	RelayKey  secp.PublicKey // pinned relay key; zero = the stored pin, else trust on first use
	Version   string         // daemon version for status; default "dev"

	PrekeyLow      int           // replenish one-time prekeys below this many at the relay; default 25
	PrekeyBatch    int           // one-time prekeys per upload; default 100
	RotateEvery    time.Duration // signed-prekey rotation period; default 7 days
	RetryEvery     time.Duration // resend an unaccepted envelope after this; default 5s
	KeepAlive      time.Duration // link Ping interval; default 15s
	MinBackoff     time.Duration // link reconnect backoff start; default 250ms
	MaxBackoff     time.Duration // link reconnect backoff cap; default 30s
	SeenRetention  time.Duration // how long seen ids are kept; default 90 days
	RequestTimeout time.Duration // one relay request; default 15s
	Logger         *slog.Logger  // default: discard
	Now            func() time.Time
}

func (c *Config) populate() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.RotateEvery, 7*24*time.Hour)
	def(&c.RetryEvery, 5*time.Second)
	def(&c.SeenRetention, 90*24*time.Hour)
	def(&c.RequestTimeout, 15*time.Second)
	if c.PrekeyLow <= 0 {
		c.PrekeyLow = 25
	}
	if c.PrekeyBatch <= 0 {
		c.PrekeyBatch = 100
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}
