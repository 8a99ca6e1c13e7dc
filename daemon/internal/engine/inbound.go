package engine

import (
	"errors"
	"fmt"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/e2e"
	"github.com/securep2p/securep2p/daemon/internal/link"
	"github.com/securep2p/securep2p/daemon/internal/store"
	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

// errDrop marks an envelope that is dropped without a trace for the user
// (a relay-side fault: bad sender; or a duplicate): it is recorded as seen
// and acknowledged so the relay forgets it. An envelope that cannot be
// decrypted is an [undecryptableError] instead, shown to the user.
var errDrop = errors.New("engine: envelope dropped")

// errNoAccount: an envelope arrived while the engine knows no own username
// (a login it gave up on, see abandonAuth). It is not the envelope's
// fault: it is neither marked seen nor acknowledged, so the relay delivers
// it again after the next login.
var errNoAccount = errors.New("engine: no account to receive for yet")

// deliver handles one Deliver on the reader goroutine: process and commit,
// then Ack. A store failure leaves it unacknowledged for redelivery. The
// Ack goes through the link's Ack lane, which never blocks the reader and
// is not limited by the frame queue the outbox fills with Sends.
func (e *Engine) deliver(c *link.Conn, d *wire.Deliver) {
	if !e.handleDeliver(d) {
		return
	}
	if err := c.Ack(d.ID); err != nil {
		e.cfg.Logger.Warn("ack not queued; the relay will redeliver", "err", err)
	}
}

// handleDeliver processes d and reports whether it may be acknowledged.
func (e *Engine) handleDeliver(d *wire.Deliver) bool {
	id, _ := store.IDFromBytes(d.ID)
	var seen bool
	_ = e.db.View(func(tx *store.Tx) error { seen = tx.Seen(id); return nil })
	if seen {
		return true
	}
	err := e.receive(id, d)
	var ue *undecryptableError
	switch {
	case errors.Is(err, errNoAccount):
		e.cfg.Logger.Warn("incoming envelope left for redelivery: no account yet", "id", id)
		return false
	case errors.As(err, &ue):
		e.cfg.Logger.Warn("incoming message could not be decrypted", "id", id, "from", d.From, "err", ue.err)
		err = e.recordUndecryptable(id, d, ue)
	case errors.Is(err, errDrop):
		e.cfg.Logger.Warn("incoming envelope dropped", "id", id, "from", d.From, "err", err)
		err = e.db.Update(func(tx *store.Tx) error { return tx.MarkSeen(id, e.cfg.Now()) })
	}
	if err != nil {
		e.cfg.Logger.Error("incoming envelope not stored; the relay will redeliver", "id", id, "err", err)
		return false
	}
	return true
}

// opened is a decrypted envelope ready to commit.
type opened struct {
	peer       string
	sess       *e2e.Session   // the session that decrypted it (advanced)
	slot       int            // -1: sess is the primary; else its index in extra
	extra      []*e2e.Session // the peer's decrypt-only sessions, when slot >= 0
	content    *e2e.Content
	oneTimeID  uint32
	newContact bool
	keyChange  bool
}

// receive decrypts d and commits everything it implies in one transaction.
func (e *Engine) receive(id store.ID, d *wire.Deliver) error {
	e.cryptoMu.Lock()
	defer e.cryptoMu.Unlock()
	o, err := e.open(d)
	if err != nil {
		return err
	}
	before, err := e.pk.MarshalBinary()
	if err != nil {
		return err
	}
	err = e.update(func(tx *store.Tx, emit emitFunc) error { return e.commitInbound(tx, emit, id, d, o) })
	if err != nil {
		if e.pk, _ = e2e.ParsePrekeyStore(before); e.pk == nil {
			return fmt.Errorf("engine: prekey state lost after a failed commit: %w", err)
		}
		return err
	}
	if o.oneTimeID != 0 {
		e.oneTimeUsed()
	}
	e.wake() // the receipt
	return nil
}

// errNoSession: an ordinary message from a peer we have no session with.
var errNoSession = errors.New("engine: no session with the sender")

// open decrypts d with the session it belongs to (see Session selection
// in sessions.go).
func (e *Engine) open(d *wire.Deliver) (*opened, error) {
	peer, ok := wire.NormalizeUsername(d.From)
	self := e.selfName()
	if self == "" {
		return nil, errNoAccount
	}
	if !ok || peer != d.From || peer == self {
		return nil, fmt.Errorf("%w: bad sender", errDrop)
	}
	h, err := e2e.ParseHeader(d.Body)
	if err != nil {
		return nil, undecryptable(err)
	}
	contact, hasContact, ps, err := e.peerSessions(peer, h.Prekey)
	if err != nil {
		return nil, err
	}
	o := &opened{peer: peer, slot: -1, newContact: !hasContact}
	var pt []byte
	switch {
	case h.Prekey:
		changed := hasContact && !h.Identity.Equal(mustKey(contact.IdentityKey))
		pt, err = e.selectPrekey(o, ps, self, d.Body, changed)
	case ps.primary == nil:
		err = errNoSession
	default:
		o.sess = ps.primary
		pt, err = o.sess.Decrypt(d.Body)
	}
	if err != nil {
		return nil, undecryptable(err)
	}
	o.content, err = e2e.DecodeContent(pt)
	clear(pt)
	if err != nil {
		return nil, undecryptable(err)
	}
	return o, nil
}

// peerSessions loads a contact with its primary session and, for a
// prekey message (withExtra), its decrypt-only sessions. An ordinary
// message is decrypted by the primary only (see Session selection), so
// the decrypt-only sessions, each up to MaxSkippedKeys keys to parse, are
// not loaded for it.
func (e *Engine) peerSessions(peer string, withExtra bool) (store.Contact, bool, peerSessions, error) {
	c, ok, primary, err := e.peerState(peer)
	if err != nil || !withExtra {
		return c, ok, peerSessions{primary: primary}, err
	}
	ps := peerSessions{primary: primary}
	_ = e.db.View(func(tx *store.Tx) error { ps.extra = e.loadDecryptOnly(tx, peer); return nil })
	return c, ok, ps, nil
}

func (e *Engine) commitInbound(tx *store.Tx, emit emitFunc, id store.ID, d *wire.Deliver, o *opened) error {
	if err := e.notePeerKey(tx, emit, o); err != nil {
		return err
	}
	if err := putSessions(tx, o); err != nil {
		return err
	}
	if o.oneTimeID != 0 {
		e.pk.Consume(o.oneTimeID)
		if err := e.savePrekeys(tx); err != nil {
			return err
		}
	}
	if err := tx.MarkSeen(id, e.cfg.Now()); err != nil {
		return err
	}
	switch o.content.Kind {
	case e2e.KindText:
		return e.storeIncoming(tx, emit, d, o)
	case e2e.KindReceipt:
		return e.applyReceipt(tx, emit, o, store.Delivered)
	case e2e.KindRead:
		return e.applyReceipt(tx, emit, o, store.Read)
	}
	return nil
}

func (e *Engine) notePeerKey(tx *store.Tx, emit emitFunc, o *opened) error {
	if o.newContact {
		return e.addContact(tx, emit, o.peer, o.sess.PeerIdentity())
	}
	if o.keyChange {
		_, err := e.noteKeyTx(tx, emit, o.peer, o.sess.PeerIdentity(), "message")
		return err
	}
	return nil
}

// storeIncoming stores a text message (unless its authenticated id is
// known) and queues the delivery receipt.
func (e *Engine) storeIncoming(tx *store.Tx, emit emitFunc, d *wire.Deliver, o *opened) error {
	mid, _ := store.IDFromBytes(o.content.ID)
	if _, dup, err := tx.Message(mid); err != nil || dup {
		return err
	}
	now := e.cfg.Now()
	m := &store.Message{ID: mid, Peer: o.peer, Dir: store.In, Kind: store.KindText, Text: o.content.Body,
		Status: store.Delivered, Created: now, Updated: now,
		Envelope: d.Body, EnvelopeKey: o.sess.PeerIdentity().Bytes()} // the sender key it authenticated with (inspect)
	if d.SentAt != 0 {
		m.SentAt = unixMilli(d.SentAt)
	}
	if err := tx.PutMessage(m); err != nil {
		return err
	}
	am := apiMessage(m)
	if err := emit(api.Event{Type: api.EventMessage, Message: &am}); err != nil {
		return err
	}
	return e.queueReceipt(tx, o.peer, e2e.KindReceipt, []store.ID{mid}, true)
}

// queueReceipt puts a receipt for ids into the outbox, encrypted at
// transmit time like any message; with seal (the caller holds cryptoMu) it
// is encrypted in tx when sealInQueue allows, so the inbound commit also
// covers the receipt's envelope and session.
func (e *Engine) queueReceipt(tx *store.Tx, peer string, kind e2e.Kind, ids []store.ID, seal bool) error {
	now := e.cfg.Now()
	for len(ids) > 0 {
		n := min(len(ids), e2e.MaxRefs)
		rid := store.NewID()
		c := &e2e.Content{Kind: kind, SentAt: uint64(now.UnixMilli()), ID: rid[:]}
		for _, id := range ids[:n] {
			c.Refs = append(c.Refs, append([]byte(nil), id[:]...))
		}
		raw, err := e2e.EncodeContent(c)
		if err != nil {
			return err
		}
		m := &store.Message{ID: rid, Peer: peer, Dir: store.Out, Kind: store.KindReceipt, Content: raw,
			Status: store.Queued, Created: now, Updated: now}
		if err := e.sealReceipt(tx, m, seal); err != nil {
			return err
		}
		if err := tx.Enqueue(m); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// applyReceipt moves our messages named in a receipt forward (never back).
func (e *Engine) applyReceipt(tx *store.Tx, emit emitFunc, o *opened, to store.Status) error {
	for _, ref := range o.content.Refs {
		id, _ := store.IDFromBytes(ref)
		m, ok, err := tx.Message(id)
		if err != nil {
			return err
		}
		if !ok || m.Dir != store.Out || m.Peer != o.peer || m.Status.Rank() >= to.Rank() {
			continue
		}
		if err := setStatus(tx, emit, &m, to, e.cfg.Now()); err != nil {
			return err
		}
		e.dropInflight(id)
		if err := tx.Dequeue(&m); err != nil {
			return err
		}
	}
	return nil
}

// noteKey records key for peer from outside a transaction: a new contact
// (trust on first use), or a key change. It reports whether it changed.
func (e *Engine) noteKey(peer string, key secp.PublicKey, where string) (changed bool, err error) {
	e.cryptoMu.Lock()
	defer e.cryptoMu.Unlock()
	err = e.update(func(tx *store.Tx, emit emitFunc) error {
		c, ok, err := tx.Contact(peer)
		if err != nil || !ok {
			if err == nil {
				err = e.addContact(tx, emit, peer, key)
			}
			return err
		}
		if key.Equal(mustKey(c.IdentityKey)) {
			return nil
		}
		changed, err = e.noteKeyTx(tx, emit, peer, key, where)
		return err
	})
	return changed, err
}

// noteKeyTx records a key change of an existing contact: history, the
// pending flag, the old session dropped, queued envelopes forgotten (and
// held under the hold policy), and a key_change event.
func (e *Engine) noteKeyTx(tx *store.Tx, emit emitFunc, peer string, key secp.PublicKey, where string) (bool, error) {
	c, _, err := tx.Contact(peer)
	if err != nil {
		return false, err
	}
	c.AddKeyChange(store.KeyChange{Old: c.IdentityKey, New: key.Bytes(), At: e.cfg.Now(), Seen: where})
	c.IdentityKey, c.KeyChanged = key.Bytes(), true
	if err := tx.PutContact(c); err != nil {
		return false, err
	}
	if err := deleteSessions(tx, peer); err != nil {
		return false, err
	}
	held, err := e.requeuePeer(tx, emit, peer, c.ShouldHold())
	if err != nil {
		return false, err
	}
	e.cfg.Logger.Warn("contact identity key changed", "peer", peer, "new", key.Fingerprint(), "held", held)
	return true, emit(api.Event{Type: api.EventKeyChange, KeyChange: apiKeyChange(&c, held)})
}

// requeuePeer forgets the envelopes queued for peer and holds them (hold)
// or makes them queued again; it returns how many text messages are held.
func (e *Engine) requeuePeer(tx *store.Tx, emit emitFunc, peer string, hold bool) (int, error) {
	to, held := store.Queued, 0
	if hold {
		to = store.Held
	}
	for _, id := range tx.Outbox(1 << 20) {
		m, ok, err := tx.Message(id)
		if err != nil || !ok || m.Peer != peer {
			if err != nil {
				return 0, err
			}
			continue
		}
		m.Envelope, m.EnvelopeKey = nil, nil
		if m.Status != to {
			if err := setStatus(tx, emit, &m, to, e.cfg.Now()); err != nil {
				return 0, err
			}
		}
		if err := tx.PutMessage(&m); err != nil {
			return 0, err
		}
		if hold && m.Kind == store.KindText {
			held++
		}
	}
	return held, nil
}
