package engine

import (
	"cmp"
	"context"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/e2e"
	"github.com/securep2p/securep2p/daemon/internal/store"
	"github.com/securep2p/securep2p/wire"
)

// Send stores a message in the outbox and returns once it is committed
// (status queued, or held); with p.Wait it then waits for that status.
func (e *Engine) Send(ctx context.Context, p api.SendParams) (api.SendResult, error) {
	peer, err := e.checkSend(p)
	if err != nil {
		return api.SendResult{}, err
	}
	if err := e.checkRecipient(ctx, peer); err != nil {
		return api.SendResult{}, err
	}
	now := e.cfg.Now()
	m := &store.Message{ID: store.NewID(), Peer: peer, Dir: store.Out, Kind: store.KindText, Text: p.Text,
		Status: store.Queued, Created: now, Updated: now}
	if err := e.enqueue(m); err != nil {
		return api.SendResult{}, apiErr(api.CodeInternal, "send: store: %v", err)
	}
	e.wake()
	if p.Wait == "" {
		if m.Status == store.Held {
			return api.SendResult{}, &api.Error{Code: api.CodeKeyChanged, MessageID: m.ID.String(),
				Message: "send: " + peer + "'s identity key changed; the message is held until you trust the new key"}
		}
		return api.SendResult{Message: apiMessage(m), Relay: e.linkState()}, nil
	}
	r, err := e.Wait(ctx, m.ID, p.Wait, p.TimeoutMS)
	return api.SendResult{Message: r.Message, Relay: e.linkState()}, err
}

// enqueue commits m to the outbox. When a usable primary session exists
// (see sealInQueue) the same transaction also stores the envelope and the
// advanced session, so one commit covers queue + ciphertext + session.
func (e *Engine) enqueue(m *store.Message) error {
	e.cryptoMu.Lock()
	defer e.cryptoMu.Unlock()
	return e.update(func(tx *store.Tx, emit emitFunc) error {
		c, ok, err := tx.Contact(m.Peer)
		if err != nil {
			return err
		}
		if ok && c.ShouldHold() {
			m.Status = store.Held
		}
		m.Envelope, m.EnvelopeKey, m.Warning = nil, nil, ""
		if ok && m.Status == store.Queued {
			if err := e.sealInQueue(tx, m, &c); err != nil {
				return err
			}
		}
		if err := tx.Enqueue(m); err != nil {
			return err
		}
		am := apiMessage(m)
		return emit(api.Event{Type: api.EventStatus, Message: &am})
	})
}

func (e *Engine) checkSend(p api.SendParams) (string, error) {
	peer, ok := wire.NormalizeUsername(p.To)
	switch {
	case !ok:
		return "", apiErr(api.CodeBadUsername, "invalid recipient username")
	case p.Text == "":
		return "", apiErr(api.CodeEmptyMessage, "message text is empty")
	case len(p.Text) > api.MaxTextBytes:
		return "", apiErr(api.CodeMessageTooLarge, "message of %d bytes exceeds %d", len(p.Text), api.MaxTextBytes)
	case !utf8.ValidString(p.Text):
		return "", apiErr(api.CodeBadRequest, "message text is not valid UTF-8")
	case p.Wait != "" && p.Wait != api.StatusSent && p.Wait != api.StatusDelivered && p.Wait != api.StatusRead:
		return "", apiErr(api.CodeBadRequest, "wait must be sent, delivered or read")
	}
	a := e.account()
	if !a.LoggedIn {
		return "", apiErr(api.CodeNotLoggedIn, "not logged in: register or log in first")
	}
	if peer == a.Username {
		return "", apiErr(api.CodeBadRequest, "cannot send a message to yourself")
	}
	return peer, nil
}

// checkRecipient fetches the bundle of a peer we have never talked to,
// when the relay is reachable, so an unknown user is reported at once. The
// bundle (one one-time prekey consumed) is kept for the first message.
func (e *Engine) checkRecipient(ctx context.Context, peer string) error {
	c := e.authConn()
	if c == nil {
		return nil
	}
	_, known, sess, err := e.peerState(peer)
	if err != nil || known || sess != nil {
		return err
	}
	e.mu.Lock()
	cached := e.bundles[peer] != nil
	e.mu.Unlock()
	if cached {
		return nil
	}
	b, err := e.fetchBundle(ctx, c, peer)
	if code, ok := remoteCode(err); ok && (code == wire.CodeUnknownUser || code == wire.CodeNoPrekeys) {
		return fromRelay("send", err)
	}
	if err == nil {
		e.mu.Lock()
		e.bundles[peer] = b
		e.mu.Unlock()
	}
	return nil // transient problems: queue and retry later
}

// Message returns one message; with p.Wait it waits like Send.
func (e *Engine) Message(ctx context.Context, p api.MessageParams) (api.MessageResult, error) {
	id, err := store.ParseID(p.ID)
	if err != nil {
		return api.MessageResult{}, apiErr(api.CodeBadRequest, "invalid message id")
	}
	if p.Wait == "" {
		m, ok := e.loadMessage(id)
		if !ok || m.Kind != store.KindText {
			return api.MessageResult{}, apiErr(api.CodeNotFound, "no message %s", p.ID)
		}
		return api.MessageResult{Message: apiMessage(&m)}, nil
	}
	return e.Wait(ctx, id, p.Wait, p.TimeoutMS)
}

// Wait waits until message id reaches status want or a later one, fails,
// is held, or the timeout passes. Errors carry the message id.
func (e *Engine) Wait(ctx context.Context, id store.ID, want api.Status, timeoutMS int64) (api.MessageResult, error) {
	if want != api.StatusSent && want != api.StatusDelivered && want != api.StatusRead {
		return api.MessageResult{}, apiErr(api.CodeBadRequest, "wait must be sent, delivered or read")
	}
	if timeoutMS <= 0 {
		timeoutMS = api.DefaultWaitMS
	}
	if timeoutMS > api.MaxWaitMS {
		return api.MessageResult{}, apiErr(api.CodeBadRequest, "timeout_ms exceeds %d", api.MaxWaitMS)
	}
	timer := time.NewTimer(time.Duration(timeoutMS) * time.Millisecond)
	defer timer.Stop()
	for {
		ch := e.changes()
		m, ok := e.loadMessage(id)
		if !ok || m.Kind != store.KindText {
			return api.MessageResult{}, apiErr(api.CodeNotFound, "no message %s", id)
		}
		if done, err := e.waitDone(&m, want); done {
			return api.MessageResult{Message: apiMessage(&m)}, err
		}
		select {
		case <-ch:
		case <-timer.C:
			return api.MessageResult{Message: apiMessage(&m)}, e.waitTimeout(&m, want)
		case <-ctx.Done():
			return api.MessageResult{Message: apiMessage(&m)}, &api.Error{Code: api.CodeTimeout,
				Message: "wait cancelled", MessageID: id.String()}
		}
	}
}

func (e *Engine) waitDone(m *store.Message, want api.Status) (bool, error) {
	switch {
	case m.Status == store.Failed:
		return true, &api.Error{Code: api.CodeMessageFailed, MessageID: m.ID.String(),
			Message: "message failed: " + m.Reason}
	case m.Status == store.Held:
		return true, &api.Error{Code: api.CodeKeyChanged, MessageID: m.ID.String(),
			Message: m.Peer + "'s identity key changed; the message is held until you trust the new key"}
	case m.Dir == store.Out && m.Status.Rank() >= store.Status(want).Rank():
		return true, nil
	case m.Dir == store.In:
		return true, nil
	}
	return false, nil
}

func (e *Engine) waitTimeout(m *store.Message, want api.Status) error {
	if m.Status == store.Queued && e.linkState() != api.LinkConnected {
		return &api.Error{Code: api.CodeRelayUnreachable, MessageID: m.ID.String(),
			Message: "relay unreachable: the message is queued and will be sent later"}
	}
	return &api.Error{Code: api.CodeTimeout, MessageID: m.ID.String(),
		Message: "timed out waiting for status " + string(want) + " (now " + string(m.Status) + ")"}
}

// History returns one page of the conversation with a user (oldest first)
// and marks shown incoming messages read (sending read receipts to
// contacts that have them on).
func (e *Engine) History(ctx context.Context, p api.HistoryParams) (api.HistoryResult, error) {
	peer, ok := wire.NormalizeUsername(p.User)
	if !ok {
		return api.HistoryResult{}, apiErr(api.CodeBadUsername, "invalid username")
	}
	limit := p.Limit
	if limit == 0 {
		limit = api.DefaultHistoryLimit
	}
	if limit < 0 || limit > api.MaxHistoryLimit {
		return api.HistoryResult{}, apiErr(api.CodeBadRequest, "limit must be 1..%d", api.MaxHistoryLimit)
	}
	res := api.HistoryResult{User: peer, Messages: []api.Message{}}
	err := e.update(func(tx *store.Tx, emit emitFunc) error {
		page, more, err := historyPage(tx, peer, p.Before, limit)
		if err != nil {
			return err
		}
		if len(page) == 0 && p.Before == 0 {
			// Nothing ever exchanged: say so rather than print an empty
			// conversation with someone who may not exist (a typo).
			if _, known, err := tx.Contact(peer); err != nil || !known {
				return cmp.Or(err, error(apiErr(api.CodeNotFound, "no conversation with %s", peer)))
			}
		}
		res.More = more
		if err := e.markRead(tx, emit, peer, page); err != nil {
			return err
		}
		for i := range page {
			res.Messages = append(res.Messages, apiMessage(&page[i]))
		}
		return nil
	})
	if ae := (*api.Error)(nil); errors.As(err, &ae) {
		return api.HistoryResult{}, ae
	}
	if err != nil {
		return res, apiErr(api.CodeInternal, "history: %v", err)
	}
	e.wake()
	return res, nil
}

// historyPage returns up to limit messages with Seq < before (0: newest).
func historyPage(tx *store.Tx, peer string, before uint64, limit int) ([]store.Message, bool, error) {
	var all []store.Message
	var err error
	if before == 0 {
		all, err = tx.LastHistory(peer, limit+1)
	} else {
		from := uint64(0)
		if before > uint64(limit)+1 {
			from = before - uint64(limit) - 2
		}
		all, err = tx.History(peer, from, limit+1)
		for len(all) > 0 && all[len(all)-1].Seq >= before {
			all = all[:len(all)-1]
		}
	}
	if err != nil {
		return nil, false, err
	}
	more := len(all) > limit
	if more {
		all = all[len(all)-limit:]
	}
	return all, more || (len(all) > 0 && all[0].Seq > 1), nil
}

// markRead makes shown incoming messages read and queues a read receipt
// when the contact has read receipts on.
func (e *Engine) markRead(tx *store.Tx, emit emitFunc, peer string, page []store.Message) error {
	var ids []store.ID
	for i := range page {
		m := &page[i]
		if m.Dir != store.In || m.Status != store.Delivered {
			continue
		}
		if err := setStatus(tx, emit, m, store.Read, e.cfg.Now()); err != nil {
			return err
		}
		if err := tx.PutMessage(m); err != nil {
			return err
		}
		ids = append(ids, m.ID)
	}
	c, ok, err := tx.Contact(peer)
	if err != nil || !ok || !c.ReadReceipts || len(ids) == 0 {
		return err
	}
	return e.queueReceipt(tx, peer, e2e.KindRead, ids, false)
}
