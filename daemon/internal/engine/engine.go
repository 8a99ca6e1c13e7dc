package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/e2e"
	"github.com/securep2p/securep2p/daemon/internal/link"
	"github.com/securep2p/securep2p/daemon/internal/store"
	"github.com/securep2p/securep2p/wire"
)

// Engine runs the daemon's messaging logic. Create it with New, start it
// with Run; its methods are safe for concurrent use.
//
// Lock order: cryptoMu, then pubMu, then mu. bbolt's own writer lock sits
// inside pubMu.
type Engine struct {
	cfg  Config
	db   *store.DB
	link *link.Link
	id   *e2e.Identity
	hub  hub

	cryptoMu sync.Mutex       // serialises every use of pk and of sessions
	pk       *e2e.PrekeyStore // guarded by cryptoMu
	pubMu    sync.Mutex       // serialises commit+publish so events go out in cursor order

	mu        sync.Mutex
	acct      store.Account           // cached account; guarded by mu
	pending   string                  // username of a login in progress; guarded by mu
	authed    *link.Conn              // the authenticated connection, or nil
	resumeErr error                   // why the last Resume failed
	relayLeft int                     // relay's one-time prekey count (estimate)
	bundles   map[string]*wire.Bundle // fetched, unused bundles by peer
	keyCheck  map[string]bool         // peers the relay answered key_changed for (outbox.go sendFailed)
	keyPace   map[string]time.Time    // peers whose sends wait after a key_changed claim found false (keycheck.go)
	inflight  map[store.ID]inflight   // envelopes written on the current connection
	changed   chan struct{}           // closed and replaced on every message change
	lastState api.LinkState           // last state reported in an event
	stopping  bool

	acceptMu   sync.Mutex
	accepts    []store.ID    // Accepted ids whose sent status is not committed yet; guarded by acceptMu
	acceptKick chan struct{} // wakes the accept worker (buffered 1)

	kick   chan struct{} // wakes the outbox worker (buffered 1)
	upkeep sync.Mutex    // one prekey upkeep at a time (TryLock)
}

// New opens the engine's keys (generating identity and prekeys on first
// start) and prepares the link. It does not touch the network.
func New(cfg Config) (*Engine, error) {
	cfg.populate()
	if cfg.DB == nil || cfg.RelayAddr == "" {
		return nil, errors.New("engine: DB and RelayAddr are required")
	}
	addrs, err := link.ParseAddrs(cfg.RelayAddr)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	e := &Engine{
		cfg: cfg, db: cfg.DB,
		bundles:    map[string]*wire.Bundle{},
		keyCheck:   map[string]bool{},
		keyPace:    map[string]time.Time{},
		inflight:   map[store.ID]inflight{},
		changed:    make(chan struct{}),
		kick:       make(chan struct{}, 1),
		acceptKick: make(chan struct{}, 1),
		hub:        hub{subs: map[*Sub]struct{}{}},
	}
	if err := e.loadKeys(); err != nil {
		return nil, err
	}
	pin, err := e.loadPin()
	if err != nil {
		return nil, err
	}
	e.link = link.New(link.Config{
		Addrs: addrs, Pin: pin, RecordPin: e.recordPin, Handler: e,
		KeepAlive: cfg.KeepAlive, MinBackoff: cfg.MinBackoff, MaxBackoff: cfg.MaxBackoff,
		Logger: cfg.Logger, OnState: e.linkChanged,
	})
	return e, nil
}

// Fingerprint is this daemon's identity key fingerprint.
func (e *Engine) Fingerprint() string { return e.id.Public().Fingerprint() }

// Run runs the relay link and the outbox worker until ctx ends. Frames
// already queued are flushed before it returns nil.
func (e *Engine) Run(ctx context.Context) error {
	e.pruneSeen()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); e.outboxLoop(ctx) }()
	go func() { defer wg.Done(); e.acceptLoop(ctx) }()
	err := e.link.Run(ctx)
	wg.Wait()
	e.flushAccepted() // Accepted frames read before the link stopped
	e.mu.Lock()
	e.stopping = true
	e.mu.Unlock()
	return err
}

// account returns the cached account.
func (e *Engine) account() store.Account {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.acct
}

// selfName is the username for e2e: the account, or a login in progress.
func (e *Engine) selfName() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pending != "" {
		return e.pending
	}
	return e.acct.Username
}

func (e *Engine) authConn() *link.Conn {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.authed
}

// update runs fn in one store transaction; events it emits are given
// cursors inside the transaction and published after the commit.
//
// Accepted ids waiting for their sent-status commit (see accepts.go) are
// applied in the same transaction: a group commit instead of one of their
// own. If the transaction fails they go back to the queue.
func (e *Engine) update(fn func(tx *store.Tx, emit emitFunc) error) error {
	e.pubMu.Lock()
	defer e.pubMu.Unlock()
	acc := e.takeAccepted()
	err := e.commitLocked(fn, acc)
	if err != nil && len(acc) > 0 {
		e.requeueAccepted(acc) // fn failed: the accept worker commits them alone
		e.kickAccepted()
	}
	return err
}

// commitLocked commits fn plus the sent transitions of acc; pubMu is held.
func (e *Engine) commitLocked(fn func(tx *store.Tx, emit emitFunc) error, acc []store.ID) error {
	var evs []api.Event
	err := e.db.Update(func(tx *store.Tx) error {
		evs = evs[:0]
		emit := func(ev api.Event) error {
			if ev.Time.IsZero() {
				ev.Time = e.cfg.Now().UTC()
			}
			raw, err := json.Marshal(ev)
			if err != nil {
				return fmt.Errorf("engine: encode event: %w", err)
			}
			if ev.Cursor, err = tx.AppendEvent(raw); err != nil {
				return err
			}
			evs = append(evs, ev)
			return nil
		}
		if err := fn(tx, emit); err != nil {
			return err
		}
		return e.applyAccepted(tx, emit, acc)
	})
	if err != nil {
		return err
	}
	e.forgetInflight(acc)
	e.hub.publish(evs)
	e.signalChange()
	return nil
}

type emitFunc func(api.Event) error

// signalChange wakes every Wait.
func (e *Engine) signalChange() {
	e.mu.Lock()
	close(e.changed)
	e.changed = make(chan struct{})
	e.mu.Unlock()
}

func (e *Engine) changes() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.changed
}

func (e *Engine) wake() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}
