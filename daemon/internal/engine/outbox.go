package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/e2e"
	"github.com/securep2p/securep2p/daemon/internal/link"
	"github.com/securep2p/securep2p/daemon/internal/store"
	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

// inflight records an envelope written on a connection and not yet
// answered; it is resent after RetryEvery or on the next connection.
type inflight struct {
	conn *link.Conn
	at   time.Time
}

// outboxBatch is how many outbox entries one pass looks at.
const outboxBatch = 512

func (e *Engine) outboxLoop(ctx context.Context) {
	retry := time.NewTicker(e.cfg.RetryEvery)
	defer retry.Stop()
	upkeep := time.NewTicker(time.Hour)
	defer upkeep.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.kick:
		case <-retry.C:
		case <-upkeep.C:
			if c := e.authConn(); c != nil {
				go e.prekeyUpkeep(c)
			}
		}
		e.flushOutbox(ctx)
	}
}

// flushOutbox transmits queued messages in order. A peer whose message
// cannot go now (held, bundle not available) blocks that peer's later
// messages so they stay in order.
func (e *Engine) flushOutbox(ctx context.Context) {
	c := e.authConn()
	if c == nil {
		return
	}
	var ids []store.ID
	_ = e.db.View(func(tx *store.Tx) error { ids = tx.Outbox(outboxBatch); return nil })
	blocked := map[string]bool{}
	for _, id := range ids {
		if ctx.Err() != nil || c != e.authConn() {
			return
		}
		m, ok := e.loadMessage(id)
		if !ok || blocked[m.Peer] || e.recentlySent(id, c) {
			continue
		}
		if e.keyPaced(m.Peer) {
			blocked[m.Peer] = true
			continue
		}
		if err := e.recheckKey(ctx, c, &m); err != nil {
			e.cfg.Logger.Debug("message not sent yet", "id", id, "err", err)
			blocked[m.Peer] = true
			continue
		}
		if m.Envelope == nil {
			if err := e.prepare(ctx, c, &m); err != nil || m.Envelope == nil {
				if err != nil {
					e.cfg.Logger.Debug("message not sent yet", "id", id, "err", err)
				}
				blocked[m.Peer] = true
				continue
			}
		}
		e.markInflight(id, c)
		f := &wire.Frame{Send: &wire.Send{ID: m.ID[:], To: m.Peer, Body: m.Envelope, IdentityKey: m.EnvelopeKey}}
		if err := c.Write(ctx, f); err != nil {
			return
		}
	}
}

func (e *Engine) loadMessage(id store.ID) (store.Message, bool) {
	var m store.Message
	var ok bool
	_ = e.db.View(func(tx *store.Tx) (err error) { m, ok, err = tx.Message(id); return })
	return m, ok
}

func (e *Engine) recentlySent(id store.ID, c *link.Conn) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	f, ok := e.inflight[id]
	return ok && f.conn == c && e.cfg.Now().Sub(f.at) < e.cfg.RetryEvery
}

func (e *Engine) markInflight(id store.ID, c *link.Conn) {
	e.mu.Lock()
	e.inflight[id] = inflight{conn: c, at: e.cfg.Now()}
	e.mu.Unlock()
}

func (e *Engine) dropInflight(id store.ID) {
	e.mu.Lock()
	delete(e.inflight, id)
	e.mu.Unlock()
}

// errNotNow means the message stays queued (or was held/failed) for now.
var errNotNow = errors.New("engine: not transmittable now")

// prepare encrypts m for the first time: it makes sure a session exists
// (fetching and verifying a bundle), applies the key-change policy, then
// commits envelope and session together. On return m.Envelope is set, or
// m was held or failed, or an error says why it waits.
func (e *Engine) prepare(ctx context.Context, c *link.Conn, m *store.Message) error {
	contact, hasContact, sess, err := e.peerState(m.Peer)
	if err != nil {
		return err
	}
	if hasContact && contact.ShouldHold() {
		if m.Status == store.Held {
			return errNotNow // held and announced already: nothing to commit
		}
		return e.hold(m)
	}
	var b *wire.Bundle
	if sess == nil || hasContact && !sess.PeerIdentity().Equal(mustKey(contact.IdentityKey)) {
		if b, err = e.bundleFor(ctx, c, m); err != nil || b == nil {
			return err
		}
		held, err := e.checkBundleKey(m, b)
		if err != nil || held {
			return err
		}
	}
	return e.encrypt(m, b)
}

// bytesEqualKey reports whether raw encodes k.
func bytesEqualKey(k secp.PublicKey, raw []byte) bool {
	other, err := secp.ParsePublicKey(raw)
	return err == nil && k.Equal(other)
}

func mustKey(raw []byte) secp.PublicKey {
	k, _ := secp.ParsePublicKey(raw)
	return k
}

// peerState loads a contact and its session.
func (e *Engine) peerState(peer string) (store.Contact, bool, *e2e.Session, error) {
	var c store.Contact
	var ok bool
	var raw []byte
	err := e.db.View(func(tx *store.Tx) (err error) {
		c, ok, err = tx.Contact(peer)
		raw = tx.Session(peer)
		return err
	})
	if err != nil || raw == nil {
		return c, ok, nil, err
	}
	s, err := unmarshalSession(raw)
	if err != nil {
		e.cfg.Logger.Error("stored session unreadable; starting a new one", "peer", peer, "err", err)
		return c, ok, nil, nil
	}
	return c, ok, s, nil
}

// bundleFor returns a verified bundle for m.Peer (a cached one from the
// send-time check, else fetched). Permanent errors fail m and return nil.
func (e *Engine) bundleFor(ctx context.Context, c *link.Conn, m *store.Message) (*wire.Bundle, error) {
	e.mu.Lock()
	b := e.bundles[m.Peer]
	delete(e.bundles, m.Peer)
	e.mu.Unlock()
	if b == nil {
		var err error
		if b, err = e.fetchBundle(ctx, c, m.Peer); err != nil {
			return nil, e.failOrWait(m, err)
		}
	}
	if err := e2e.VerifyBundle(b); err != nil {
		return nil, e.fail(m, api.CodeInternal, "the relay sent an invalid key bundle")
	}
	return b, nil
}

func (e *Engine) fetchBundle(ctx context.Context, c *link.Conn, peer string) (*wire.Bundle, error) {
	rctx, cancel := context.WithTimeout(ctx, e.cfg.RequestTimeout)
	defer cancel()
	r, err := c.Request(rctx, &wire.Frame{FetchBundle: &wire.FetchBundle{Username: peer}})
	if err != nil {
		return nil, err
	}
	if r.Bundle == nil || r.Bundle.Username != peer {
		return nil, errors.New("engine: unexpected bundle reply")
	}
	return r.Bundle, nil
}

// failOrWait fails m on a permanent relay error and keeps it queued on a
// transient one.
func (e *Engine) failOrWait(m *store.Message, err error) error {
	code, ok := remoteCode(err)
	switch {
	case ok && code == wire.CodeUnknownUser:
		return e.fail(m, api.CodeUnknownUser, "the relay has no user "+m.Peer)
	case ok && code == wire.CodeNoPrekeys:
		return e.fail(m, api.CodeNoPrekeys, m.Peer+" has published no keys")
	}
	return fmt.Errorf("%w: %v", errNotNow, err)
}

// checkBundleKey compares the bundle's identity key with the contact's.
// A different key is a key change; held reports that m is now held.
func (e *Engine) checkBundleKey(m *store.Message, b *wire.Bundle) (held bool, err error) {
	k, err := secp.ParsePublicKey(b.IdentityKey)
	if err != nil {
		return false, e.fail(m, api.CodeInternal, "the relay sent an invalid identity key")
	}
	changed, err := e.noteKey(m.Peer, k, "bundle")
	if err != nil || !changed {
		return false, err
	}
	contact, _, _, err := e.peerState(m.Peer)
	if err != nil {
		return false, err
	}
	if contact.ShouldHold() {
		return true, e.hold(m)
	}
	return false, nil
}

// encrypt runs the e2e step and commits envelope + session (+ a new
// contact) in one transaction before anything is written to the relay.
func (e *Engine) encrypt(m *store.Message, b *wire.Bundle) error {
	e.cryptoMu.Lock()
	defer e.cryptoMu.Unlock()
	contact, hasContact, sess, err := e.peerState(m.Peer)
	if err != nil {
		return err
	}
	if b != nil && (sess == nil || !bytesEqualKey(sess.PeerIdentity(), b.IdentityKey)) {
		// A session stored since prepare looked (a prekey message from the
		// peer arrived meanwhile) is used: a second one would compete.
		if sess, err = e2e.Initiate(e.id, e.selfName(), b); err != nil {
			return e.fail(m, api.CodeInternal, "cannot start a session: invalid bundle")
		}
	}
	if sess == nil {
		return errNotNow
	}
	content, err := e.contentFor(m)
	if err != nil {
		return e.fail(m, api.CodeMessageTooLarge, "message too large")
	}
	env, err := sess.Encrypt(content)
	if err != nil {
		return e.fail(m, api.CodeMessageTooLarge, "message too large")
	}
	state, err := sess.MarshalBinary()
	if err != nil {
		return err
	}
	m.Envelope, m.EnvelopeKey = env, sess.PeerIdentity().Bytes()
	if hasContact && contact.KeyChanged && m.Kind == store.KindText {
		m.Warning = string(api.CodeKeyChanged)
	}
	return e.update(func(tx *store.Tx, emit emitFunc) error {
		if err := stillSealable(tx, m); err != nil {
			return err
		}
		if !hasContact {
			if err := e.addContact(tx, emit, m.Peer, sess.PeerIdentity()); err != nil {
				return err
			}
		}
		if err := tx.PutSession(m.Peer, state); err != nil {
			return err
		}
		return tx.PutMessage(m)
	})
}

// stillSealable re-reads m and its contact in the transaction that would
// store m's envelope: m was loaded before prepare's bundle fetch (a network
// round trip without cryptoMu), and meanwhile a key change may have held it
// (noteKeyTx) or the user may have changed the contact. errNotNow unless m
// is still in the outbox as loaded, without an envelope, and the contact
// does not hold messages.
func stillSealable(tx *store.Tx, m *store.Message) error {
	cur, ok, err := tx.Message(m.ID)
	if err != nil {
		return err
	}
	if !ok || cur.OutboxSeq == 0 || cur.Envelope != nil || cur.Status != m.Status {
		return errNotNow
	}
	c, ok, err := tx.Contact(m.Peer)
	if err != nil {
		return err
	}
	if ok && c.ShouldHold() {
		return errNotNow
	}
	return nil
}

// contentFor encodes what m carries (text, or a prepared receipt).
func (e *Engine) contentFor(m *store.Message) ([]byte, error) {
	if m.Kind != store.KindText {
		return m.Content, nil
	}
	return e2e.EncodeContent(&e2e.Content{Kind: e2e.KindText, Body: m.Text,
		SentAt: uint64(m.Created.UnixMilli()), ID: m.ID[:]})
}

func (e *Engine) addContact(tx *store.Tx, emit emitFunc, peer string, key secp.PublicKey) error {
	c := store.Contact{Username: peer, IdentityKey: key.Bytes(), Trust: store.Unverified, Added: e.cfg.Now()}
	if err := tx.PutContact(c); err != nil {
		return err
	}
	ac := apiContact(tx, &c)
	return emit(api.Event{Type: api.EventContact, Contact: &ac})
}

// setStatus changes m's status (never backwards unless to held/queued by
// the caller's choice), stores it and emits a status event for text.
func setStatus(tx *store.Tx, emit emitFunc, m *store.Message, s store.Status, now time.Time) error {
	m.Status, m.Updated = s, now
	if m.Kind != store.KindText {
		return nil
	}
	am := apiMessage(m)
	return emit(api.Event{Type: api.EventStatus, Message: &am})
}

// hold marks m held (a key change to a verified contact). It works on the
// stored copy of m: a message already held (announced once, by noteKeyTx
// or an earlier pass) or no longer in the outbox is left alone, with no
// event.
func (e *Engine) hold(m *store.Message) error {
	err := e.update(func(tx *store.Tx, emit emitFunc) error {
		cur, ok, err := tx.Message(m.ID)
		if err != nil || !ok || cur.OutboxSeq == 0 || cur.Status == store.Held {
			return err
		}
		*m = cur
		m.Envelope, m.EnvelopeKey = nil, nil
		if err := setStatus(tx, emit, m, store.Held, e.cfg.Now()); err != nil {
			return err
		}
		return tx.PutMessage(m)
	})
	if err != nil {
		return err
	}
	return errNotNow
}

// fail marks m failed with an API code and removes it from the outbox.
func (e *Engine) fail(m *store.Message, code api.Code, reason string) error {
	e.dropInflight(m.ID)
	err := e.update(func(tx *store.Tx, emit emitFunc) error {
		m.FailCode, m.Reason = string(code), reason
		if err := setStatus(tx, emit, m, store.Failed, e.cfg.Now()); err != nil {
			return err
		}
		return tx.Dequeue(m)
	})
	if err != nil {
		return err
	}
	e.cfg.Logger.Info("message failed", "id", m.ID, "code", code)
	return errNotNow
}

// sendFailed handles Error{ID} for a Send.
func (e *Engine) sendFailed(f *wire.Error) {
	id, ok := store.IDFromBytes(f.ID)
	if !ok {
		return
	}
	m, ok := e.loadMessage(id)
	if !ok || m.OutboxSeq == 0 {
		return
	}
	switch f.Code {
	case wire.CodeKeyChanged:
		e.disputeKey(m.Peer, id) // keycheck.go: nothing is dropped before a bundle shows a new key
	case wire.CodeUnknownUser:
		_ = e.fail(&m, api.CodeUnknownUser, "the relay has no user "+m.Peer)
	case wire.CodeTooLarge:
		_ = e.fail(&m, api.CodeMessageTooLarge, "the relay refused the message size")
	case wire.CodeInternal, wire.CodeShuttingDown, wire.CodeBusy:
		// The relay could not store it now (a NATS leader election, a
		// stopping node): resent with the same id after RetryEvery, on this
		// connection or the next; the relay deduplicates by id.
		e.cfg.Logger.Info("relay failed to store a message; it will be resent", "id", id, "code", f.Code)
	default: // rate limited, mailbox full...: resent after RetryEvery
		e.cfg.Logger.Info("relay refused a message for now", "id", id, "code", f.Code)
	}
}
