package engine

import (
	"context"
	"errors"

	"github.com/securep2p/securep2p/daemon/internal/e2e"
	"github.com/securep2p/securep2p/daemon/internal/link"
	"github.com/securep2p/securep2p/daemon/internal/store"
	"github.com/securep2p/securep2p/wire"
)

// prekeysForAuth returns the signed prekey and a fresh batch of one-time
// prekeys for Register/Login, persisted before they are sent.
//
// The store is never reset: the identity key is the same whatever the
// relay answers, and a Register that failed, timed out or was answered
// after we gave up may have published our prekeys under it already. IDs
// therefore only grow and every private half stays until it is consumed,
// so each public prekey the relay hands out can still be answered. (A new
// identity, a fresh state directory, starts with a new store in loadKeys.)
func (e *Engine) prekeysForAuth() (wire.SignedPrekey, []wire.Prekey, error) {
	e.cryptoMu.Lock()
	defer e.cryptoMu.Unlock()
	spk, ok := e.pk.CurrentSignedPrekey()
	rotated := !ok
	if rotated {
		var err error
		if spk, err = e.pk.RotateSignedPrekey(e.id); err != nil {
			return spk, nil, err
		}
	}
	otk, err := e.generateOneTimeLocked()
	if err != nil {
		return spk, nil, err
	}
	err = e.db.Update(func(tx *store.Tx) error {
		if rotated {
			if err := e.putRotated(tx, e.cfg.Now()); err != nil {
				return err
			}
		}
		return e.savePrekeys(tx)
	})
	return spk, otk, err
}

// generateOneTimeLocked makes a batch, or none when the local pool is full
// (sessions then start without a one-time prekey, which X3DH allows).
func (e *Engine) generateOneTimeLocked() ([]wire.Prekey, error) {
	n := min(e.cfg.PrekeyBatch, wire.MaxPrekeyBatch, e2e.MaxOneTimePrekeys-e.pk.OneTimeCount())
	if n <= 0 {
		e.cfg.Logger.Warn("local one-time prekey pool full; not replenishing")
		return nil, nil
	}
	otk, err := e.pk.GenerateOneTime(n)
	if errors.Is(err, e2e.ErrPrekeyPool) {
		e.cfg.Logger.Warn("one-time prekey pool limit reached; not replenishing")
		return nil, nil
	}
	return otk, err
}

// prekeyUpkeep rotates the signed prekey when due and replenishes one-time
// prekeys when the relay runs low. One run at a time.
func (e *Engine) prekeyUpkeep(c *link.Conn) {
	if !e.upkeep.TryLock() {
		return
	}
	defer e.upkeep.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.RequestTimeout)
	defer cancel()
	if err := e.rotateIfDue(ctx, c); err != nil {
		e.cfg.Logger.Warn("signed prekey rotation failed", "err", err)
	}
	if err := e.replenish(ctx, c); err != nil {
		e.cfg.Logger.Warn("prekey replenishment failed", "err", err)
	}
}

func (e *Engine) rotateIfDue(ctx context.Context, c *link.Conn) error {
	var last = e.cfg.Now()
	_ = e.db.View(func(tx *store.Tx) error { last = rotatedAt(tx); return nil })
	if e.cfg.Now().Sub(last) < e.cfg.RotateEvery {
		return nil
	}
	e.cryptoMu.Lock()
	spk, err := e.pk.RotateSignedPrekey(e.id) // previous ones kept for messages in flight
	if err == nil {
		err = e.db.Update(func(tx *store.Tx) error {
			if err := e.putRotated(tx, e.cfg.Now()); err != nil {
				return err
			}
			return e.savePrekeys(tx)
		})
	}
	e.cryptoMu.Unlock()
	if err != nil {
		return err
	}
	_, err = c.Request(ctx, &wire.Frame{UploadPrekeys: &wire.UploadPrekeys{SignedPrekey: &spk}})
	return err
}

func (e *Engine) replenish(ctx context.Context, c *link.Conn) error {
	e.mu.Lock()
	left := e.relayLeft
	e.mu.Unlock()
	if left >= e.cfg.PrekeyLow {
		return nil
	}
	e.cryptoMu.Lock()
	otk, err := e.generateOneTimeLocked()
	if err == nil && len(otk) > 0 {
		err = e.db.Update(e.savePrekeys)
	}
	e.cryptoMu.Unlock()
	if err != nil || len(otk) == 0 {
		return err
	}
	r, err := c.Request(ctx, &wire.Frame{UploadPrekeys: &wire.UploadPrekeys{OneTime: otk}})
	if err != nil {
		return err
	}
	if r.PrekeyCount != nil {
		e.mu.Lock()
		e.relayLeft = int(r.PrekeyCount.Remaining)
		e.mu.Unlock()
	}
	return nil
}

// oneTimeUsed notes that a peer consumed one of our one-time prekeys.
func (e *Engine) oneTimeUsed() {
	e.mu.Lock()
	e.relayLeft--
	low := e.relayLeft < e.cfg.PrekeyLow
	c := e.authed
	e.mu.Unlock()
	if low && c != nil {
		go e.prekeyUpkeep(c)
	}
}
