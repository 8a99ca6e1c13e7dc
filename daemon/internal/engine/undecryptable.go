package engine

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/e2e"
	"github.com/securep2p/securep2p/daemon/internal/store"
	"github.com/securep2p/securep2p/wire"
)

// metaUndecryptable counts incoming messages that could not be decrypted
// (be64).
const metaUndecryptable = "undecryptable"

// undecryptableError: an envelope from a valid sender that no session (and
// no prekey) of ours opens, or whose content is malformed. It is never
// dropped silently: recordUndecryptable shows it to the user.
type undecryptableError struct{ err error }

func (u *undecryptableError) Error() string { return "engine: undecryptable: " + u.err.Error() }
func (u *undecryptableError) Unwrap() error { return u.err }

// undecryptable classifies a failure to open an envelope: a duplicate (a
// message decrypted before, replayed under a new outer id) is dropped; any
// other failure is undecryptable. e2e errors carry no key material.
func undecryptable(err error) error {
	if errors.Is(err, e2e.ErrDuplicate) {
		return fmt.Errorf("%w: %v", errDrop, err)
	}
	return &undecryptableError{err: err}
}

// recordUndecryptable stores a failed incoming message in d.From's history
// (with the envelope, for inspect), counts it, emits a message event and
// marks the id seen, all in one transaction; the caller then acknowledges,
// so the relay does not deliver it again and again.
func (e *Engine) recordUndecryptable(id store.ID, d *wire.Deliver, ue *undecryptableError) error {
	return e.update(func(tx *store.Tx, emit emitFunc) error {
		if err := tx.MarkSeen(id, e.cfg.Now()); err != nil {
			return err
		}
		if _, dup, err := tx.Message(id); err != nil || dup {
			return err
		}
		now := e.cfg.Now()
		m := &store.Message{ID: id, Peer: d.From, Dir: store.In, Kind: store.KindText, Status: store.Failed,
			FailCode: string(api.CodeUndecryptable), Reason: "could not decrypt this message: " + ue.err.Error(),
			Created: now, Updated: now, Envelope: d.Body, EnvelopeKey: claimedSenderKey(tx, d)}
		if d.SentAt != 0 {
			m.SentAt = unixMilli(d.SentAt)
		}
		if err := tx.PutMessage(m); err != nil {
			return err
		}
		n := undecryptableCount(tx) + 1
		if err := tx.PutMeta(metaUndecryptable, binary.BigEndian.AppendUint64(nil, n)); err != nil {
			return err
		}
		am := apiMessage(m)
		return emit(api.Event{Type: api.EventMessage, Message: &am})
	})
}

func undecryptableCount(tx *store.Tx) uint64 {
	raw := tx.Meta(metaUndecryptable)
	if len(raw) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(raw)
}

// Undecryptable reports how many incoming messages could not be decrypted
// since this state directory was created. Each is also in its sender's
// history with status failed and was announced by a message event.
func (e *Engine) Undecryptable() uint64 {
	var n uint64
	_ = e.db.View(func(tx *store.Tx) error { n = undecryptableCount(tx); return nil })
	return n
}

// claimedSenderKey is the sender identity key an undecryptable envelope was
// checked against, recorded for inspect: the one a prekey message carries,
// else the contact's; nil when neither is known.
func claimedSenderKey(tx *store.Tx, d *wire.Deliver) []byte {
	if k, ok, err := e2e.PeekIdentity(d.Body); err == nil && ok {
		return k.Bytes()
	}
	if c, ok, err := tx.Contact(d.From); err == nil && ok {
		return c.IdentityKey
	}
	return nil
}
