package engine

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/securep2p/securep2p/daemon/internal/e2e"
	"github.com/securep2p/securep2p/daemon/internal/store"
	"github.com/securep2p/securep2p/wire/secp"
)

const metaRotated = "spk_rotated" // unix seconds of the last signed-prekey rotation

// loadKeys reads identity, prekeys and account, generating identity and
// prekeys on first start (committed before anything is published).
func (e *Engine) loadKeys() error {
	return e.db.Update(func(tx *store.Tx) error {
		var err error
		if e.acct, err = tx.Account(); err != nil {
			return err
		}
		if raw := tx.Meta(store.MetaIdentity); raw != nil {
			if e.id, err = e2e.ParseIdentity(raw); err != nil {
				return fmt.Errorf("engine: identity: %w", err)
			}
			if e.pk, err = e2e.ParsePrekeyStore(tx.Meta(store.MetaPrekeys)); err != nil {
				return fmt.Errorf("engine: prekeys: %w", err)
			}
			return nil
		}
		return e.generateKeys(tx)
	})
}

func (e *Engine) generateKeys(tx *store.Tx) error {
	var err error
	if e.id, err = e2e.NewIdentity(); err != nil {
		return fmt.Errorf("engine: identity: %w", err)
	}
	e.pk = e2e.NewPrekeyStore()
	if _, err := e.pk.RotateSignedPrekey(e.id); err != nil {
		return err
	}
	raw, err := e.id.Marshal()
	if err != nil {
		return err
	}
	if err := tx.PutMeta(store.MetaIdentity, raw); err != nil {
		return err
	}
	if err := e.putRotated(tx, e.cfg.Now()); err != nil {
		return err
	}
	return e.savePrekeys(tx)
}

// savePrekeys persists the prekey store. Caller holds cryptoMu (or is in
// loadKeys).
func (e *Engine) savePrekeys(tx *store.Tx) error {
	raw, err := e.pk.MarshalBinary()
	if err != nil {
		return fmt.Errorf("engine: prekeys: %w", err)
	}
	return tx.PutMeta(store.MetaPrekeys, raw)
}

func (e *Engine) putRotated(tx *store.Tx, t time.Time) error {
	return tx.PutMeta(metaRotated, binary.BigEndian.AppendUint64(nil, uint64(t.Unix())))
}

func rotatedAt(tx *store.Tx) time.Time {
	raw := tx.Meta(metaRotated)
	if len(raw) != 8 {
		return time.Time{}
	}
	return time.Unix(int64(binary.BigEndian.Uint64(raw)), 0)
}

// loadPin decides the relay pin: --relay-key wins (and is recorded), else
// the stored pin, else zero (trust on first use).
func (e *Engine) loadPin() (secp.PublicKey, error) {
	if !e.cfg.RelayKey.IsZero() {
		return e.cfg.RelayKey, e.recordPin(e.cfg.RelayKey)
	}
	var raw []byte
	_ = e.db.View(func(tx *store.Tx) error { raw = tx.Meta(store.MetaRelayPin); return nil })
	if raw == nil {
		return secp.PublicKey{}, nil
	}
	k, err := secp.ParsePublicKey(raw)
	if err != nil {
		return k, fmt.Errorf("engine: stored relay key: %w", err)
	}
	return k, nil
}

func (e *Engine) recordPin(k secp.PublicKey) error {
	return e.db.Update(func(tx *store.Tx) error { return tx.PutMeta(store.MetaRelayPin, k.Bytes()) })
}

// pinnedKey returns the stored relay pin (zero before first contact).
func (e *Engine) pinnedKey() secp.PublicKey {
	var k secp.PublicKey
	_ = e.db.View(func(tx *store.Tx) error {
		k, _ = secp.ParsePublicKey(tx.Meta(store.MetaRelayPin))
		return nil
	})
	return k
}

func (e *Engine) pruneSeen() {
	cutoff := e.cfg.Now().Add(-e.cfg.SeenRetention)
	_ = e.db.Update(func(tx *store.Tx) error { _, err := tx.PruneSeen(cutoff); return err })
}
