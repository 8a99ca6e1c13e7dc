package engine

import (
	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/e2e"
	"github.com/securep2p/securep2p/daemon/internal/store"
)

// sealInQueue encrypts m inside the transaction that queues it, when that
// is exactly what the outbox would do later: the contact is known and not
// held (checked by the caller), its primary session is stored and was made
// for the contact's current identity key, and no earlier queued message to
// the peer is still waiting for its envelope (ratchet order follows
// outbox order). Otherwise m is left without an envelope and takes the
// two-step path (prepare, then encrypt) at transmit time. The caller holds
// cryptoMu; the advanced session is stored in tx, so the commit that
// queues m also persists the envelope and the session that produced it.
func (e *Engine) sealInQueue(tx *store.Tx, m *store.Message, c *store.Contact) error {
	raw := tx.Session(m.Peer)
	if raw == nil || !e.peerQueueSealed(tx, m.Peer) {
		return nil
	}
	sess, err := e2e.UnmarshalSession(raw)
	if err != nil || !bytesEqualKey(sess.PeerIdentity(), c.IdentityKey) {
		return nil // the two-step path logs and recovers
	}
	content, err := e.contentFor(m)
	if err != nil {
		return nil
	}
	env, err := sess.Encrypt(content)
	if err != nil {
		return nil // too large: the outbox fails it with a reason
	}
	state, err := sess.MarshalBinary()
	if err != nil {
		return err
	}
	if err := tx.PutSession(m.Peer, state); err != nil {
		return err
	}
	m.Envelope, m.EnvelopeKey = env, sess.PeerIdentity().Bytes()
	if c.KeyChanged && m.Kind == store.KindText {
		m.Warning = string(api.CodeKeyChanged)
	}
	return nil
}

// peerQueueSealed reports whether every queued message to peer already
// carries its envelope (false also when the outbox is too long to look).
func (e *Engine) peerQueueSealed(tx *store.Tx, peer string) bool {
	ids := tx.Outbox(outboxBatch + 1)
	if len(ids) > outboxBatch {
		return false
	}
	for _, id := range ids {
		m, ok, err := tx.Message(id)
		if err != nil {
			return false
		}
		if ok && m.Peer == peer && m.Envelope == nil {
			return false
		}
	}
	return true
}

// sealReceipt seals a receipt being queued when seal is set and the
// contact is known and not held.
func (e *Engine) sealReceipt(tx *store.Tx, m *store.Message, seal bool) error {
	if !seal {
		return nil
	}
	c, ok, err := tx.Contact(m.Peer)
	if err != nil || !ok || c.ShouldHold() {
		return err
	}
	return e.sealInQueue(tx, m, &c)
}
