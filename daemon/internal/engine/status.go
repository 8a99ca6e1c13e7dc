package engine

import (
	"context"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/link"
	"github.com/securep2p/securep2p/daemon/internal/store"
)

// Status reports the daemon, account, link and outbox state.
func (e *Engine) Status(ctx context.Context, _ api.StatusParams) (api.StatusResult, error) {
	a := e.account()
	st := e.link.State()
	res := api.StatusResult{DaemonVersion: e.cfg.Version, APIVersion: api.Version,
		Username: a.Username, LoggedIn: a.LoggedIn, Fingerprint: e.Fingerprint(),
		KeyChanges: []api.KeyChange{},
		Relay:      api.RelayStatus{Address: st.Addr, State: e.linkState(), Since: st.Since.UTC()}}
	if k := e.pinnedKey(); !k.IsZero() {
		res.Relay.KeyFingerprint = k.Fingerprint()
	}
	if le := e.linkError(st); le != nil {
		res.Relay.LastError = le
	}
	if c := e.link.Current(); c != nil {
		res.Relay.Protocol = c.Version()
	}
	err := e.db.View(func(tx *store.Tx) error {
		res.Cursor = tx.LastCursor()
		res.Undecryptable = undecryptableCount(tx)
		held := map[string]int{}
		for _, id := range tx.Outbox(1 << 20) {
			m, ok, err := tx.Message(id)
			if err != nil || !ok || m.Kind != store.KindText {
				continue
			}
			if m.Status == store.Held {
				res.Outbox.Held++
				held[m.Peer]++
			} else {
				res.Outbox.Queued++
			}
		}
		cs, err := tx.Contacts()
		for i := range cs {
			if cs[i].KeyChanged {
				res.KeyChanges = append(res.KeyChanges, *apiKeyChange(&cs[i], held[cs[i].Username]))
			}
		}
		return err
	})
	if err != nil {
		return res, apiErr(api.CodeInternal, "status: %v", err)
	}
	return res, nil
}

func (e *Engine) linkError(st link.State) *api.Error {
	switch {
	case st.Phase == link.PhasePinError:
		return apiErr(api.CodeRelayKeyMismatch, "%s", st.LastError)
	case e.resumeFailed():
		return apiErr(api.CodeAuthFailed, "the relay refused key-based login: log in again")
	case st.LastError != "" && st.Phase != link.PhaseConnected:
		return apiErr(api.CodeRelayUnreachable, "%s", st.LastError)
	}
	return nil
}

func (e *Engine) resumeFailed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.resumeErr != nil
}

// linkState maps the link phase and the session to the API state.
func (e *Engine) linkState() api.LinkState {
	st := e.link.State()
	e.mu.Lock()
	authed, resumeErr, stopping, loggedIn := e.authed != nil, e.resumeErr, e.stopping, e.acct.LoggedIn
	e.mu.Unlock()
	switch {
	case stopping || st.Phase == link.PhaseStopped:
		return api.LinkShuttingDown
	case st.Phase == link.PhasePinError:
		return api.LinkKeyMismatch
	case st.Phase == link.PhaseConnected && authed:
		return api.LinkConnected
	case st.Phase == link.PhaseConnected && resumeErr != nil:
		return api.LinkUnauthorized
	case st.Phase == link.PhaseConnected && !loggedIn:
		return api.LinkLoggedOut
	case st.Phase == link.PhaseConnecting && st.Attempts == 0:
		return api.LinkConnecting
	case st.Phase == link.PhaseConnected:
		return api.LinkConnecting // authenticating
	}
	return api.LinkDisconnected
}

// linkChanged emits a connection event when the API link state changed.
// It is the link's OnState callback and is also called after auth changes.
func (e *Engine) linkChanged(st link.State) {
	s := e.linkState()
	e.mu.Lock()
	same := s == e.lastState
	e.lastState = s
	e.mu.Unlock()
	if same {
		return
	}
	ev := &api.ConnectionEvent{State: s, Error: e.linkError(st)}
	err := e.update(func(tx *store.Tx, emit emitFunc) error {
		return emit(api.Event{Type: api.EventConnection, Connection: ev})
	})
	if err != nil {
		e.cfg.Logger.Error("store connection event", "err", err)
	}
}

// unreachable is the error for an operation that needs the relay now.
func (e *Engine) unreachable(op string) *api.Error {
	st := e.link.State()
	if st.Phase == link.PhasePinError {
		return apiErr(api.CodeRelayKeyMismatch, "%s: %s", op, st.LastError)
	}
	if st.LastError != "" {
		return apiErr(api.CodeRelayUnreachable, "%s: relay unreachable: %s", op, st.LastError)
	}
	return apiErr(api.CodeRelayUnreachable, "%s: relay unreachable", op)
}
