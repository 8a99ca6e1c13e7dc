// Package relay is the SecureP2P relay server library: QUIC transport, the
// hop handshake, accounts, the key directory and durable offline mailboxes.
// The thin main is relay/cmd/p2p-relay; storage is relay/store.
//
// # Flow
//
// A daemon dials over QUIC (ALPN hop.ALPN), opens one bidirectional stream
// and runs the hop handshake on it; every later frame is sealed. The first
// request is Register, Login or Resume (before that only Ping is answered;
// anything else gets Error CodeNotAuthed). After Welcome the relay pushes
// the user's mailbox in order, then new envelopes as they arrive, and deletes
// an envelope only when the recipient acks it. On a connection that
// negotiated protocol version 2 one Ack or Accepted may carry up to
// wire.MaxBatchIDs ids (ID, then More): the relay then writes a run of
// Accepted answers as one frame (an Error keeps its place) and takes an
// Ack's ids in order; a version 1 connection gets one Accepted per id, and
// an Ack with More from it ends the session (CodeBadFrame). See
// wire/PROTOCOL.md.
//
// # What it promises
//
//   - Accepted is sent only after the envelope is committed and fsynced in the
//     recipient's mailbox (group commit) or the connected recipient has
//     acknowledged it. To a connected recipient the envelope is pushed from
//     memory at once while its write waits in the commit queue for an
//     adaptive hold (4x the recent push-to-Ack time, clamped to 100 ms..2 s;
//     released at once when the session ends); an Ack in time cancels the
//     write (see relay/store held.go, ackwait.go). Send is
//     idempotent by id, and an envelope leaves the mailbox only on Ack or
//     TTL expiry (counted). Per-recipient order holds across pushed and
//     stored envelopes (deliver.go), also when a new connection replaces
//     one whose pushed envelopes are still held: the newest connection of
//     a user is the only one delivering, and it reads those envelopes
//     before anything newer (pushed.go).
//   - Passwords are hashed with Argon2id (19 MiB, t=2, p=1, random salt,
//     parameters stored with the hash), a semaphore caps concurrent hashes, and
//     an unknown user costs a dummy hash and gets the same Error frame as a
//     wrong password. Failures are limited per username (backoff, at most 100
//     consecutive failures before a lockout) and per source address.
//   - Every resource a client can make the relay spend is bounded: QUIC
//     streams (one) and receive windows, handshake and idle time, connections
//     per address (and QUIC Retry when handshakes flood in), frame size (wire),
//     write queues, mailbox count and bytes, prekeys, request rates.
//   - Each connection has one reader goroutine and at most one writer
//     goroutine (started when there is something to write, gone after a
//     second idle); a slow recipient only slows itself: replies that find
//     its queue full are counted drops, and envelopes stay in the mailbox
//     for redelivery.
//   - Bad input closes only that connection (with an Error frame, or a QUIC
//     application error code carrying the wire.Code, where possible) and is
//     counted. Nothing secret reaches a log, error string or metric label.
//   - A relay killed without closing its connections and restarted with the
//     same key (state directory) ends them at once: its QUIC stateless reset
//     key is HKDF-SHA256 of the relay key (info "securep2p/v1/stateless-reset",
//     transport.go), so it answers their next packet with a stateless reset
//     instead of leaving daemons to wait for their idle timeout. Nodes sharing
//     one relay key share the reset key too; each must have its own address.
//
// # What it does not do
//
// It never sees message plaintext and does not verify signed-prekey
// signatures (the label belongs to the end-to-end layer, which the fetching
// daemon verifies). Rate-limit state lives in memory and resets on restart.
// It does not handle OS signals: [Server.Serve] stops when its context ends.
package relay

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/quic-go/quic-go"

	"github.com/securep2p/securep2p/metrics"
	"github.com/securep2p/securep2p/relay/store"
	"github.com/securep2p/securep2p/wire/secp"
)

// Server is one relay. Create it with [New], run it with [Server.Serve],
// release it with [Server.Close].
type Server struct {
	cfg      Config
	key      *secp.PrivateKey
	cert     tls.Certificate
	store    store.Store
	ownStore bool
	m        *metrics.Relay
	hasher   *hasher
	authAddr *keyedLimiter
	fails    *failureLimiter
	// fetchAcct limits FetchBundle per requesting account, over all its
	// connections (keys.go); sessions also keep a per-connection bucket.
	fetchAcct *keyedLimiter
	// logins is every logged-in session by username (logins.go).
	logins loginSet
	conns  addrCounter

	bytesIn, bytesOut prometheus.Counter // MessageBytes by direction

	handshaking atomic.Int64
	// attached runs (tests only) between a login's Attach and its Welcome
	// being queued, to widen that window on purpose (auth.go).
	attached atomic.Pointer[func(user string)]
	// idleExit runs (tests only) when a session's writer is about to exit
	// idle, before it looks at its channels a last time (session.go).
	idleExit  atomic.Pointer[func(ss *session)]
	addr      atomic.Pointer[net.UDPAddr]
	ready     atomic.Bool
	serving   atomic.Bool
	sessions  sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// New prepares a relay: it creates the state directory, loads or creates
// the key and certificate, and opens the store. It does not listen.
func New(cfg Config) (*Server, error) {
	cfg.populate()
	s := &Server{cfg: cfg, m: cfg.Metrics, key: cfg.Key, store: cfg.Store}
	s.conns.m = map[string]int{}
	s.bytesIn = s.m.MessageBytes.WithLabelValues(metrics.DirectionIn)
	s.bytesOut = s.m.MessageBytes.WithLabelValues(metrics.DirectionOut)
	if err := s.loadState(); err != nil {
		return nil, err
	}
	h, err := newHasher(cfg.MaxConcurrentHashes, func(d time.Duration) { s.m.PasswordHashSeconds.Observe(d.Seconds()) })
	if err != nil {
		s.Close()
		return nil, err
	}
	s.hasher = h
	s.authAddr = newKeyedLimiter(cfg.AuthRatePerAddr, cfg.AuthBurstPerAddr)
	s.fetchAcct = newKeyedLimiter(cfg.FetchRate, cfg.FetchBurst)
	s.fails = &failureLimiter{m: map[string]*failState{}, free: cfg.LoginFreeFailures, max: cfg.MaxLoginFailures,
		base: time.Second, maxBackoff: 15 * time.Minute, lockout: cfg.LoginLockout, maxKeys: 100000}
	s.updateMailboxGauges()
	return s, nil
}

func (s *Server) loadState() error {
	if err := os.MkdirAll(s.cfg.StateDir, 0o700); err != nil {
		return fmt.Errorf("relay: state directory: %w", err)
	}
	if s.key == nil {
		k, err := LoadOrCreateKey(s.cfg.path(KeyFile))
		if err != nil {
			return err
		}
		s.key = k
	}
	if s.cfg.Certificate != nil {
		s.cert = *s.cfg.Certificate
	} else {
		c, err := LoadOrCreateCert(s.cfg.path(CertFile), s.cfg.path(CertKeyFile))
		if err != nil {
			return err
		}
		s.cert = c
	}
	if s.store == nil {
		st, err := store.Open(s.cfg.path(DatabaseFile), store.Options{
			MailboxMaxMsgs: s.cfg.MailboxMaxMsgs, MailboxMaxBytes: s.cfg.MailboxMaxBytes,
			MaxPrekeys: s.cfg.MaxPrekeys, OnCommit: s.observeCommit,
			Push: s.pushFunc(), AckWait: s.cfg.ackWait})
		if err != nil {
			return err
		}
		s.store, s.ownStore = st, true
	}
	return nil
}

// pushFunc hands envelopes to connected recipients from memory when the
// router can (the in-process one can); nil makes the store write every
// envelope at once.
func (s *Server) pushFunc() func(*store.Envelope) bool {
	if p, ok := s.cfg.Router.(pusher); ok {
		return p.push
	}
	return nil
}

func (s *Server) observeCommit(d time.Duration, ops int, _ error) {
	s.m.StoreCommitLatency.Observe(d.Seconds())
	s.m.StoreCommitOps.Observe(float64(ops))
}

// PublicKey is the relay's long-term hop key (what daemons pin).
func (s *Server) PublicKey() secp.PublicKey { return s.key.Public() }

// Addr is the UDP address Serve listens on, or nil before Serve started.
func (s *Server) Addr() net.Addr {
	if a := s.addr.Load(); a != nil {
		return a
	}
	return nil
}

// Ready reports whether Serve is accepting connections (for /readyz).
func (s *Server) Ready() bool { return s.ready.Load() }

// ListenAndServe listens on the UDP address addr (":4433", "127.0.0.1:0")
// and serves until ctx ends. The listening address is available from
// [Server.Addr] once the relay is ready.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return fmt.Errorf("relay: listen address: %w", err)
	}
	pc, err := net.ListenUDP("udp", ua)
	if err != nil {
		return fmt.Errorf("relay: listen: %w", err)
	}
	defer pc.Close()
	return s.Serve(ctx, pc)
}

// Serve runs the relay on pc (which it does not close) until ctx ends. Then
// it stops accepting, tells every connection CodeShuttingDown, flushes the
// writers (at most 5 seconds) and returns nil. A Server serves once.
func (s *Server) Serve(ctx context.Context, pc net.PacketConn) error {
	if !s.serving.CompareAndSwap(false, true) {
		return errors.New("relay: Serve called twice")
	}
	tr, err := s.newTransport(pc)
	if err != nil {
		return err
	}
	defer tr.Close()
	ln, err := tr.Listen(s.tlsConfig(), s.quicConfig())
	if err != nil {
		return fmt.Errorf("relay: listen: %w", err)
	}
	if ua, ok := pc.LocalAddr().(*net.UDPAddr); ok {
		s.addr.Store(ua)
	}
	sessCtx, stopSessions := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSessions()
	go s.sweepLoop(sessCtx)
	s.ready.Store(true)
	s.cfg.Logger.Info("relay serving", "addr", pc.LocalAddr().String(), "key", s.key.Public().Fingerprint())
	s.acceptLoop(ctx, sessCtx, ln)
	s.ready.Store(false)
	ln.Close()
	stopSessions()
	s.waitSessions(5 * time.Second)
	return nil
}

func (s *Server) acceptLoop(ctx, sessCtx context.Context, ln *quic.Listener) {
	for {
		conn, err := ln.Accept(ctx)
		if err != nil {
			return
		}
		handshakeDone(conn.Context(), s)
		s.sessions.Add(1)
		go func() {
			defer s.sessions.Done()
			s.handleConn(sessCtx, conn)
		}()
	}
}

func (s *Server) waitSessions(d time.Duration) {
	done := make(chan struct{})
	go func() { s.sessions.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		s.cfg.Logger.Warn("relay: sessions did not finish flushing in time")
	}
}

// Close releases the store (when the relay opened it). Call it after Serve
// returned. Idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		if s.ownStore && s.store != nil {
			s.closeErr = s.store.Close()
		}
	})
	return s.closeErr
}

func (s *Server) now() time.Time { return s.cfg.Now() }

func (s *Server) updateMailboxGauges() {
	st := s.store.Stats()
	s.m.MailboxMessages.Set(float64(st.Messages))
	s.m.MailboxBytes.Set(float64(st.Bytes))
}

// sweepLoop removes expired envelopes every SweepInterval.
func (s *Server) sweepLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.sweep()
		}
	}
}

func (s *Server) sweep() {
	res, err := s.store.Expire(s.now())
	if err != nil {
		s.cfg.Logger.Error("relay: expire mailboxes", "err", err)
		return
	}
	s.m.MessagesExpired.Add(float64(res.Envelopes))
	s.updateMailboxGauges()
}
