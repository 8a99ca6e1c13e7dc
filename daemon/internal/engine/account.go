package engine

import (
	"context"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/link"
	"github.com/securep2p/securep2p/daemon/internal/store"
	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/hop"
)

// Register creates the account on the relay, binds this daemon's keys to
// it and stays logged in.
func (e *Engine) Register(ctx context.Context, p api.RegisterParams) (api.AccountResult, error) {
	name, err := e.checkCredentials(p.Username, p.Password)
	if err != nil {
		return api.AccountResult{}, err
	}
	return e.authenticate(ctx, name, func(spk wire.SignedPrekey, otk []wire.Prekey) *wire.Frame {
		return &wire.Frame{Register: &wire.Register{Username: name, Password: p.Password,
			IdentityKey: e.id.Public().Bytes(), SignedPrekey: spk, OneTime: otk}}
	})
}

// Login logs in to an existing account with the password and binds this
// daemon's identity key (a key change if another key was bound).
func (e *Engine) Login(ctx context.Context, p api.LoginParams) (api.AccountResult, error) {
	name, err := e.checkCredentials(p.Username, p.Password)
	if err != nil {
		return api.AccountResult{}, err
	}
	return e.authenticate(ctx, name, func(spk wire.SignedPrekey, otk []wire.Prekey) *wire.Frame {
		return &wire.Frame{Login: &wire.Login{Username: name, Password: p.Password,
			IdentityKey: e.id.Public().Bytes(), SignedPrekey: &spk, OneTime: otk}}
	})
}

func (e *Engine) checkCredentials(user, pass string) (string, error) {
	name, ok := wire.NormalizeUsername(user)
	if !ok {
		return "", apiErr(api.CodeBadUsername, "invalid username")
	}
	if len(pass) < wire.MinPasswordLen || len(pass) > wire.MaxPasswordLen || !utf8.ValidString(pass) {
		return "", apiErr(api.CodeBadPassword, "passwords are %d to %d bytes", wire.MinPasswordLen, wire.MaxPasswordLen)
	}
	if a := e.account(); a.LoggedIn && e.authConn() != nil {
		return "", apiErr(api.CodeAlreadyLoggedIn, "already logged in as %s", a.Username)
	}
	return name, nil
}

// authenticate sends Register or Login with fresh one-time prekeys
// (persisted first) on the current connection and records the account.
func (e *Engine) authenticate(ctx context.Context, name string,
	build func(wire.SignedPrekey, []wire.Prekey) *wire.Frame) (api.AccountResult, error) {
	c := e.awaitLink(ctx, linkWait)
	if c == nil {
		return api.AccountResult{}, e.unreachable("log in")
	}
	spk, otk, err := e.prekeysForAuth()
	if err != nil {
		return api.AccountResult{}, apiErr(api.CodeInternal, "prepare prekeys: %v", err)
	}
	e.mu.Lock()
	e.pending = name // deliveries may arrive before Request returns
	e.mu.Unlock()
	defer func() { e.mu.Lock(); e.pending = ""; e.mu.Unlock() }()
	rctx, cancel := context.WithTimeout(ctx, e.cfg.RequestTimeout)
	defer cancel()
	r, err := c.Request(rctx, build(spk, otk))
	if err != nil {
		e.abandonAuth(c, err)
		return api.AccountResult{}, fromRelay("log in", err)
	}
	if r.Welcome == nil {
		c.Close(errAuthUnknown)
		return api.AccountResult{}, apiErr(api.CodeInternal, "log in: unexpected reply")
	}
	if err := e.loggedIn(c, r.Welcome); err != nil {
		c.Close(errAuthUnknown)
		return api.AccountResult{}, apiErr(api.CodeInternal, "log in: %v", err)
	}
	return api.AccountResult{Username: r.Welcome.Username, Fingerprint: e.Fingerprint(),
		KeyChanged: r.Welcome.KeyChanged}, nil
}

// errAuthUnknown ends a connection whose relay session may be logged in
// (or out) without the engine having recorded it.
var errAuthUnknown = errors.New("engine: login outcome unknown; reconnecting")

// abandonAuth handles a Register, Login or Logout that got no answer. A
// relay error answer left the session as it was. Any other failure (the
// caller's ctx ended, RequestTimeout) may come after the frame was
// written: the relay may still log the connection in (and push mail the
// engine cannot attribute) or out (and push nothing more). The connection
// is ended so the relay session never differs from what the engine
// recorded; the link reconnects (Resume when logged in) and the mail,
// never acknowledged, is redelivered after the next login.
func (e *Engine) abandonAuth(c *link.Conn, err error) {
	if _, ok := remoteCode(err); ok || errors.Is(err, link.ErrClosed) {
		return
	}
	e.cfg.Logger.Warn("relay request abandoned; reconnecting", "err", err)
	c.Close(errAuthUnknown)
}

// loggedIn records a password Welcome: the account is now bound to our
// key, so later connections Resume.
func (e *Engine) loggedIn(c *link.Conn, w *wire.Welcome) error {
	acct := store.Account{Username: w.Username, LoggedIn: true}
	err := e.update(func(tx *store.Tx, emit emitFunc) error {
		if err := tx.PutAccount(acct); err != nil {
			return err
		}
		return emit(api.Event{Type: api.EventAccount, Account: &api.AccountEvent{Username: acct.Username, LoggedIn: true}})
	})
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.acct, e.authed, e.resumeErr, e.relayLeft = acct, c, nil, int(w.Remaining)
	e.mu.Unlock()
	e.afterWelcome(c)
	return nil
}

// afterWelcome starts the per-session chores: prekey upkeep and the outbox.
func (e *Engine) afterWelcome(c *link.Conn) {
	e.linkChanged(e.link.State())
	go e.prekeyUpkeep(c)
	e.wake()
}

// Logout ends the relay session. The outbox and history are kept.
func (e *Engine) Logout(ctx context.Context) (api.LogoutResult, error) {
	a := e.account()
	if !a.LoggedIn {
		return api.LogoutResult{}, apiErr(api.CodeNotLoggedIn, "not logged in")
	}
	if c := e.authConn(); c != nil {
		rctx, cancel := context.WithTimeout(ctx, e.cfg.RequestTimeout)
		defer cancel()
		if _, err := c.Request(rctx, &wire.Frame{Logout: &wire.Logout{}}); err != nil {
			e.abandonAuth(c, err)
			return api.LogoutResult{}, fromRelay("log out", err)
		}
	}
	a.LoggedIn = false
	err := e.update(func(tx *store.Tx, emit emitFunc) error {
		if err := tx.PutAccount(a); err != nil {
			return err
		}
		return emit(api.Event{Type: api.EventAccount, Account: &api.AccountEvent{Username: a.Username}})
	})
	if err != nil {
		return api.LogoutResult{}, apiErr(api.CodeInternal, "log out: %v", err)
	}
	e.mu.Lock()
	e.acct, e.authed = a, nil
	e.mu.Unlock()
	e.linkChanged(e.link.State())
	return api.LogoutResult{Username: a.Username}, nil
}

// Up authenticates a new connection with Resume when an account is bound.
// It implements link.Handler.
func (e *Engine) Up(ctx context.Context, c *link.Conn) error {
	a := e.account()
	if !a.LoggedIn {
		e.linkChanged(e.link.State())
		return nil // stay unauthenticated until register/login
	}
	sid := c.SessionID()
	sig := e.id.Key().Sign(hop.ResumeLabel, hop.ResumeMessage(sid, a.Username))
	rctx, cancel := context.WithTimeout(ctx, e.cfg.RequestTimeout)
	defer cancel()
	r, err := c.Request(rctx, &wire.Frame{Resume: &wire.Resume{Username: a.Username, Signature: sig}})
	if code, ok := remoteCode(err); ok && code == wire.CodeAuthFailed {
		e.cfg.Logger.Warn("relay refused resume: log in again", "user", a.Username)
		e.mu.Lock()
		e.resumeErr = err
		e.mu.Unlock()
		e.linkChanged(e.link.State())
		return nil // keep the connection for a password login
	}
	if err != nil {
		return err
	}
	if r.Welcome == nil {
		return errors.New("engine: resume: unexpected reply")
	}
	e.mu.Lock()
	e.authed, e.resumeErr, e.relayLeft = c, nil, int(r.Welcome.Remaining)
	e.mu.Unlock()
	e.afterWelcome(c)
	return nil
}

// Down forgets the connection. It implements link.Handler.
func (e *Engine) Down(c *link.Conn, err error) {
	e.mu.Lock()
	if e.authed == c {
		e.authed = nil
	}
	e.inflight = map[store.ID]inflight{}
	e.mu.Unlock()
	e.cfg.Logger.Info("relay connection closed", "err", err)
}

// Frame handles unsolicited frames on the reader goroutine. It implements
// link.Handler.
func (e *Engine) Frame(c *link.Conn, f *wire.Frame) {
	switch {
	case f.Deliver != nil:
		e.deliver(c, f.Deliver)
	case f.Accepted != nil:
		e.accepted(f.Accepted.ID, f.Accepted.More...)
	case f.Error != nil && f.Error.ID != nil:
		e.sendFailed(f.Error)
	}
}

// linkWait is how long register and login wait for a relay connection that
// is still being set up (a daemon started a moment ago) before answering
// relay_unreachable.
const linkWait = 5 * time.Second

// awaitLink returns the current relay connection, waiting up to max for one
// while the link is still dialling. A pin mismatch ends the wait at once.
func (e *Engine) awaitLink(ctx context.Context, max time.Duration) *link.Conn {
	ctx, cancel := context.WithTimeout(ctx, max)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if c := e.link.Current(); c != nil && c.Err() == nil || e.link.State().Phase == link.PhasePinError {
			return c
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
