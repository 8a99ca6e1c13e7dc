package engine

import (
	"context"
	"encoding/hex"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/e2e"
	"github.com/securep2p/securep2p/daemon/internal/store"
	"github.com/securep2p/securep2p/wire/secp"
)

// Inspect shows the public cryptographic values of a message's envelope:
// only what the envelope carries plus the associated data rebuilt from
// public inputs (names and identity keys). No session state is read, so no
// private, root, chain or message key can reach the result.
func (e *Engine) Inspect(ctx context.Context, p api.InspectParams) (api.InspectResult, error) {
	id, err := store.ParseID(p.ID)
	if err != nil {
		return api.InspectResult{}, apiErr(api.CodeBadRequest, "invalid message id")
	}
	m, ok := e.loadMessage(id)
	if !ok || m.Kind != store.KindText {
		return api.InspectResult{}, apiErr(api.CodeNotFound, "no message %s", p.ID)
	}
	if m.Envelope == nil {
		return api.InspectResult{}, apiErr(api.CodeNotFound, "message %s is not encrypted yet (status %s)", p.ID, m.Status)
	}
	d, err := e2e.Describe(m.Envelope)
	if err != nil {
		return api.InspectResult{}, apiErr(api.CodeInternal, "inspect: %v", err)
	}
	return e.inspectResult(&m, d)
}

func (e *Engine) inspectResult(m *store.Message, d e2e.Description) (api.InspectResult, error) {
	peerKey, known := e.envelopePeerKey(m)
	own, peer := e.Fingerprint(), ""
	if known {
		peer = peerKey.Fingerprint()
	}
	r := api.InspectResult{ID: m.ID.String(), Direction: api.Direction(m.Dir), Peer: m.Peer, Cipher: d.Cipher,
		SenderFingerprint: own, RecipientFingerprint: peer,
		RatchetKey: d.RatchetKey, Counter: d.Counter, PreviousCounter: d.PreviousCounter,
		Initial: d.PrekeyMessage, EphemeralKey: d.BaseKey,
		SignedPrekeyID: d.SignedPrekeyID, OneTimePrekeyID: d.OneTimePrekeyID,
		Ciphertext: d.CiphertextHex, MAC: d.MACHex, EnvelopeBytes: d.EnvelopeSize}
	if m.Dir == store.In {
		r.SenderFingerprint, r.RecipientFingerprint = peer, own
	}
	if !known {
		return r, nil // undecryptable ordinary message from a stranger: AD unknowable
	}
	ad, err := e.associatedData(m, peerKey)
	if err != nil {
		return api.InspectResult{}, apiErr(api.CodeInternal, "inspect: associated data: %v", err)
	}
	r.AssociatedData = hex.EncodeToString(ad)
	return r, nil
}

// associatedData rebuilds the bytes the envelope's MAC covers besides the
// ciphertext, from both names and identity keys (e2e.AssociatedData).
func (e *Engine) associatedData(m *store.Message, peerKey secp.PublicKey) ([]byte, error) {
	self, selfKey := e.selfName(), e.id.Public()
	if m.Dir == store.In {
		return e2e.AssociatedData(m.Envelope, m.Peer, peerKey, self, selfKey)
	}
	return e2e.AssociatedData(m.Envelope, self, selfKey, m.Peer, peerKey)
}

// envelopePeerKey returns the peer identity key the envelope was sealed
// for (outgoing) or authenticated with (incoming): the one recorded with
// the message, else the one a prekey message carries, else the contact's.
// ok is false when none is known.
func (e *Engine) envelopePeerKey(m *store.Message) (secp.PublicKey, bool) {
	if m.EnvelopeKey != nil {
		k, err := secp.ParsePublicKey(m.EnvelopeKey)
		return k, err == nil
	}
	if m.Dir == store.In {
		if k, ok, err := e2e.PeekIdentity(m.Envelope); err == nil && ok {
			return k, true
		}
	}
	var c store.Contact
	var ok bool
	if err := e.db.View(func(tx *store.Tx) (err error) { c, ok, err = tx.Contact(m.Peer); return err }); err != nil || !ok {
		return secp.PublicKey{}, false
	}
	k, err := secp.ParsePublicKey(c.IdentityKey)
	return k, err == nil
}
