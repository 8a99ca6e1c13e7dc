package relay

import (
	"bytes"
	"errors"

	"github.com/securep2p/securep2p/metrics"
	"github.com/securep2p/securep2p/relay/store"
	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/hop"
	"github.com/securep2p/securep2p/wire/secp"
)

// keys is a parsed and validated set of published keys.
type keys struct {
	identity []byte
	signed   *wire.SignedPrekey
	oneTime  []wire.Prekey
}

// parseKeys checks every public key with secp.ParsePublicKey.
func parseKeys(identity []byte, signed *wire.SignedPrekey, oneTime []wire.Prekey) (keys, bool) {
	if identity != nil {
		if _, err := secp.ParsePublicKey(identity); err != nil {
			return keys{}, false
		}
	}
	if signed != nil {
		if _, err := secp.ParsePublicKey(signed.Key); err != nil {
			return keys{}, false
		}
	}
	for i := range oneTime {
		if _, err := secp.ParsePublicKey(oneTime[i].Key); err != nil {
			return keys{}, false
		}
	}
	return keys{identity: identity, signed: signed, oneTime: oneTime}, true
}

func validPassword(p string) bool {
	return len(p) >= wire.MinPasswordLen && len(p) <= wire.MaxPasswordLen
}

// authRequest holds what the three authentication requests share.
func (ss *session) refuse(req uint64, method string, result string, code wire.Code) {
	if method == "" {
		ss.s.m.Registrations.WithLabelValues(result).Inc()
	} else {
		ss.s.m.Logins.WithLabelValues(method, result).Inc()
	}
	if code == wire.CodeBadKey {
		ss.s.m.BadInput.WithLabelValues(metrics.BadKey).Inc()
	}
	ss.reply(errorFrame(req, code))
}

// addrAllowed applies the per-address limit on authentication attempts.
func (ss *session) addrAllowed() bool {
	if ss.s.authAddr.allow(ss.ip, ss.s.now()) {
		return true
	}
	ss.s.m.RateLimited.WithLabelValues(metrics.ScopeAddress).Inc()
	return false
}

// nameAllowed applies the per-username failure limit.
func (ss *session) nameAllowed(name string) bool {
	if ok, _ := ss.s.fails.check(name, ss.s.now()); ok {
		return true
	}
	ss.s.m.RateLimited.WithLabelValues(metrics.ScopeAccount).Inc()
	return false
}

func (ss *session) register(req uint64, r *wire.Register) {
	name, ok := wire.NormalizeUsername(r.Username)
	switch {
	case !ok:
		ss.refuse(req, "", metrics.ResultRejected, wire.CodeBadUsername)
		return
	case !validPassword(r.Password):
		ss.refuse(req, "", metrics.ResultRejected, wire.CodeBadPassword)
		return
	}
	k, ok := parseKeys(r.IdentityKey, &r.SignedPrekey, r.OneTime)
	switch {
	case !ok:
		ss.refuse(req, "", metrics.ResultRejected, wire.CodeBadKey)
		return
	case len(k.oneTime) > ss.s.cfg.MaxPrekeys:
		ss.refuse(req, "", metrics.ResultRejected, wire.CodeTooLarge)
		return
	case !ss.addrAllowed():
		ss.refuse(req, "", metrics.ResultLimited, wire.CodeRateLimited)
		return
	}
	ss.createAccount(req, name, r.Password, k)
}

func (ss *session) createAccount(req uint64, name, password string, k keys) {
	hash, err := ss.s.hasher.hash(ss.ctx, []byte(password))
	if err != nil {
		ss.refuse(req, "", metrics.ResultError, wire.CodeInternal)
		return
	}
	acct := store.Account{Username: name, PasswordHash: hash, IdentityKey: k.identity,
		SignedPrekey: *k.signed, CreatedAt: ss.s.now()}
	switch err := ss.s.store.CreateAccount(acct, k.oneTime); {
	case errors.Is(err, store.ErrExists):
		ss.refuse(req, "", metrics.ResultRejected, wire.CodeUserExists)
	case err != nil:
		ss.s.cfg.Logger.Error("relay: create account", "err", err)
		ss.refuse(req, "", metrics.ResultError, wire.CodeInternal)
	default:
		ss.s.m.Registrations.WithLabelValues(metrics.ResultOK).Inc()
		n, _ := ss.s.store.PrekeyCount(name)
		ss.welcome(req, name, n, false)
	}
}

func (ss *session) login(req uint64, l *wire.Login) {
	const m = metrics.MethodPassword
	name, ok := wire.NormalizeUsername(l.Username)
	k, keysOK := parseKeys(l.IdentityKey, l.SignedPrekey, l.OneTime)
	switch {
	case !ok:
		ss.refuse(req, m, metrics.ResultRejected, wire.CodeBadUsername)
	case !validPassword(l.Password):
		ss.refuse(req, m, metrics.ResultRejected, wire.CodeBadPassword)
	case !keysOK:
		ss.refuse(req, m, metrics.ResultRejected, wire.CodeBadKey)
	case !ss.addrAllowed() || !ss.nameAllowed(name):
		ss.refuse(req, m, metrics.ResultLimited, wire.CodeRateLimited)
	default:
		acct, ok := ss.checkPassword(name, l.Password)
		switch {
		case ok:
			ss.bindLogin(req, acct, k)
		case ss.ctx.Err() != nil: // abandoned before a hash ran: not a failed attempt
			ss.refuse(req, m, metrics.ResultError, wire.CodeInternal)
		default:
			ss.refuse(req, m, metrics.ResultFailed, wire.CodeAuthFailed)
		}
	}
}

// checkPassword verifies name's password. An unknown name costs a dummy
// hash; both failures count against the name. The wait for a hashing slot
// ends with the connection (ss.ctx): an abandoned login leaves the queue
// without hashing and without counting as a failure.
func (ss *session) checkPassword(name, password string) (store.Account, bool) {
	acct, err := ss.s.store.Account(name)
	if err != nil {
		if ss.s.hasher.burn(ss.ctx, []byte(password)) == nil {
			ss.s.fails.fail(name, ss.s.now())
		}
		return acct, false
	}
	ok, err := ss.s.hasher.verify(ss.ctx, acct.PasswordHash, []byte(password))
	if ss.ctx.Err() != nil {
		return acct, false // the connection closed while waiting: nothing was tried
	}
	if err != nil || !ok {
		ss.s.fails.fail(name, ss.s.now())
		return acct, false
	}
	ss.s.fails.success(name)
	return acct, true
}

// bindLogin binds the login's identity key. A different key is a key change:
// it needs a new signed prekey, and the old prekeys are dropped.
func (ss *session) bindLogin(req uint64, acct store.Account, k keys) {
	const m = metrics.MethodPassword
	changed := !bytes.Equal(k.identity, acct.IdentityKey)
	if changed && k.signed == nil {
		ss.refuse(req, m, metrics.ResultRejected, wire.CodeBadKey)
		return
	}
	n, err := ss.s.store.UpdateKeys(acct.Username, store.KeyUpdate{IdentityKey: k.identity, SignedPrekey: k.signed, OneTime: k.oneTime})
	switch {
	case errors.Is(err, store.ErrTooManyPrekeys):
		ss.refuse(req, m, metrics.ResultRejected, wire.CodeTooLarge)
	case err != nil:
		ss.s.cfg.Logger.Error("relay: bind keys", "err", err)
		ss.refuse(req, m, metrics.ResultError, wire.CodeInternal)
	default:
		ss.s.m.Logins.WithLabelValues(m, metrics.ResultOK).Inc()
		if changed {
			ss.s.cfg.Logger.Info("relay: identity key changed", "fingerprint", fingerprint(k.identity))
		}
		ss.welcome(req, acct.Username, n, changed)
		if changed {
			// The account's other sessions were authenticated for the old
			// key: end them, so their daemons learn now (their Resume
			// then fails) instead of at their next reconnect.
			ss.s.logins.endOthers(acct.Username, ss, wire.CodeKeyChanged)
		}
	}
}

func fingerprint(b []byte) string {
	pk, err := secp.ParsePublicKey(b)
	if err != nil {
		return "invalid"
	}
	return pk.Fingerprint()
}

func (ss *session) resume(req uint64, r *wire.Resume) {
	const m = metrics.MethodResume
	name, ok := wire.NormalizeUsername(r.Username)
	switch {
	case !ok:
		ss.refuse(req, m, metrics.ResultRejected, wire.CodeBadUsername)
	// Resume is limited per address only. The per-name failure limit
	// protects passwords; a signature cannot be guessed, so counting bad
	// signatures against the name, or refusing the owner's resume because
	// someone else failed passwords for it, would let anyone keep a user's
	// daemon offline. A resume does not reset the password failure count.
	case !ss.addrAllowed():
		ss.refuse(req, m, metrics.ResultLimited, wire.CodeRateLimited)
	case !ss.checkResume(name, r.Signature):
		ss.refuse(req, m, metrics.ResultFailed, wire.CodeAuthFailed)
	default:
		n, err := ss.s.store.PrekeyCount(name)
		if err != nil {
			ss.refuse(req, m, metrics.ResultError, wire.CodeInternal)
			return
		}
		ss.s.m.Logins.WithLabelValues(m, metrics.ResultOK).Inc()
		ss.welcome(req, name, n, false)
	}
}

// checkResume verifies the signature over this connection's session id by
// the identity key bound to name.
func (ss *session) checkResume(name string, sig []byte) bool {
	acct, err := ss.s.store.Account(name)
	if err != nil {
		return false
	}
	pk, err := secp.ParsePublicKey(acct.IdentityKey)
	if err != nil {
		return false
	}
	return pk.Verify(hop.ResumeLabel, hop.ResumeMessage(ss.hc.SessionID(), name), sig)
}

// welcome makes this session the user's delivery target, then queues
// Welcome. In that order: once the client reads Welcome, its next Send
// must be pushed here, not to the connection this one replaces. The
// writer delivers nothing to this login before the Welcome is written
// (session.go, loginPending).
func (ss *session) welcome(req uint64, name string, remaining int, changed bool) {
	login := &name // a new pointer per login: deliver.go's cursor belongs to it
	ss.user.Store(login)
	ss.s.logins.add(name, ss)
	ss.detach = ss.s.cfg.Router.Attach(name, ss)
	if hook := ss.s.attached.Load(); hook != nil {
		(*hook)(name)
	}
	ss.enqueue(queued{f: &wire.Frame{Req: req, Welcome: &wire.Welcome{Username: name, Remaining: uint32(remaining), KeyChanged: changed}}, login: login})
}

// logout makes the connection unauthenticated again.
func (ss *session) logout() {
	if ss.detach != nil {
		ss.detach()
		ss.detach = nil
		ss.releasePushed(ss.username())
	}
	if name := ss.username(); name != "" {
		ss.s.logins.remove(name, ss)
	}
	ss.user.Store(nil)
}
