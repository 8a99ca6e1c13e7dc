package engine

import (
	"context"
	"fmt"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/e2e"
	"github.com/securep2p/securep2p/daemon/internal/link"
	"github.com/securep2p/securep2p/daemon/internal/store"
	"github.com/securep2p/securep2p/wire/secp"
)

// # Disputed keys
//
// The relay answers a Send with Error{ID, CodeKeyChanged} when the
// envelope's IdentityKey is not the recipient's current identity key. That
// answer is only the relay's claim, so it drops nothing. Dropping the
// session on it would let one forged (or stale) answer break the
// conversation for good: we would start a new session with the same
// identity, which the peer keeps decrypt-only (a prekey message never
// replaces its working session, see Session selection), so the peer goes
// on encrypting with the session we dropped and nothing it sends would
// decrypt here again.
//
// Instead the peer is marked disputed, and before its next message goes
// out flushOutbox fetches its bundle (recheckKey). A bundle whose identity
// key differs from the contact's is a key change, handled as every other
// one (noteKey: key history, key_change event, sessions dropped, queued
// envelopes re-encrypted or held). The same key means the claim was false
// or stale: the mark is cleared, the session kept, and the peer's messages
// resent as they are (same ids and envelopes, so the relay deduplicates
// them), in queue order, after RetryEvery, which also paces a relay that
// keeps repeating the claim.

// disputeKey records the relay's key_changed answer to message id for peer.
func (e *Engine) disputeKey(peer string, id store.ID) {
	e.mu.Lock()
	e.keyCheck[peer] = true
	delete(e.inflight, id)
	e.mu.Unlock()
	e.wake()
}

func (e *Engine) keyDisputed(peer string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.keyCheck[peer]
}

// recheckKey settles a dispute on m's peer, if there is one, by fetching
// its bundle. nil: m may go now (no dispute). Otherwise m waits: the key
// changed (m is re-encrypted or held in a later pass), the key is the same
// (m is resent after RetryEvery), or no bundle is available now (the
// dispute stays).
func (e *Engine) recheckKey(ctx context.Context, c *link.Conn, m *store.Message) error {
	if !e.keyDisputed(m.Peer) {
		return nil
	}
	b, err := e.fetchBundle(ctx, c, m.Peer)
	if err != nil {
		return e.failOrWait(m, err)
	}
	if err := e2e.VerifyBundle(b); err != nil {
		return e.fail(m, api.CodeInternal, "the relay sent an invalid key bundle")
	}
	k, err := secp.ParsePublicKey(b.IdentityKey)
	if err != nil {
		return e.fail(m, api.CodeInternal, "the relay sent an invalid identity key")
	}
	changed, err := e.noteKey(m.Peer, k, "bundle")
	if err != nil {
		return err
	}
	e.mu.Lock()
	delete(e.keyCheck, m.Peer)
	if changed {
		e.bundles[m.Peer] = b // the next prepare starts the new session with it
	}
	e.mu.Unlock()
	if changed {
		e.wake()
		return fmt.Errorf("%w: %s's identity key changed", errNotNow, m.Peer)
	}
	e.mu.Lock()
	e.keyPace[m.Peer] = e.cfg.Now().Add(e.cfg.RetryEvery)
	e.mu.Unlock()
	return fmt.Errorf("%w: the relay claimed a key change, but %s's key is unchanged", errNotNow, m.Peer)
}

// keyPaced reports whether peer's messages wait after a key_changed claim
// found false. All of them wait, not only the one the check ran for, so
// they still leave in queue order.
func (e *Engine) keyPaced(peer string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	until, ok := e.keyPace[peer]
	if ok && !e.cfg.Now().Before(until) {
		delete(e.keyPace, peer)
		return false
	}
	return ok
}
