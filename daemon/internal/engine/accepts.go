package engine

import (
	"context"

	"github.com/securep2p/securep2p/daemon/internal/store"
)

// # Sent-status group commit
//
// An Accepted frame does not get a commit of its own on the reader
// goroutine: its id is queued, and the next transaction of the engine (an
// inbound message, a Send, or the accept worker's own) applies every
// queued id, so bursts of Accepted frames and concurrent writes share one
// fsync. Wait still returns only once the sent status is committed. An id
// lost with the process (crash before the commit) leaves its message
// queued: it is retransmitted with the same id and the relay answers
// Accepted again.

// accepted handles Accepted: the relay holds the envelope raw and, for a
// batched Accepted (protocol version 2), each of more, queued in that
// order exactly as that many single Accepted frames would be. Malformed
// ids (the wire layer lets none through) are skipped.
func (e *Engine) accepted(raw []byte, more ...[]byte) {
	e.acceptMu.Lock()
	e.accepts = appendID(e.accepts, raw)
	for _, m := range more {
		e.accepts = appendID(e.accepts, m)
	}
	e.acceptMu.Unlock()
	e.kickAccepted()
}

func appendID(ids []store.ID, raw []byte) []store.ID {
	if id, ok := store.IDFromBytes(raw); ok {
		return append(ids, id)
	}
	return ids
}

func (e *Engine) kickAccepted() {
	select {
	case e.acceptKick <- struct{}{}:
	default:
	}
}

// acceptLoop commits queued Accepted ids no other transaction took.
func (e *Engine) acceptLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.acceptKick:
			e.flushAccepted()
		}
	}
}

// flushAccepted commits the queued ids, if any, in one transaction.
func (e *Engine) flushAccepted() {
	e.pubMu.Lock()
	defer e.pubMu.Unlock()
	acc := e.takeAccepted()
	if len(acc) == 0 {
		return
	}
	err := e.commitLocked(func(*store.Tx, emitFunc) error { return nil }, acc)
	if err != nil {
		// Kept for the next transaction; no retry loop on a failing disk.
		e.requeueAccepted(acc)
		e.cfg.Logger.Error("store accepted status", "err", err)
	}
}

func (e *Engine) takeAccepted() []store.ID {
	e.acceptMu.Lock()
	defer e.acceptMu.Unlock()
	acc := e.accepts
	e.accepts = nil
	return acc
}

// requeueAccepted puts back ids whose transaction failed; the next
// transaction applies them (or the message is retransmitted and accepted
// again).
func (e *Engine) requeueAccepted(acc []store.ID) {
	if len(acc) == 0 {
		return
	}
	e.acceptMu.Lock()
	e.accepts = append(acc, e.accepts...)
	e.acceptMu.Unlock()
}

// applyAccepted moves each message in acc that is still in the outbox to
// sent (never backwards) and takes it out of the outbox. The ids stay
// inflight until the commit (see forgetInflight), so the outbox does not
// resend them meanwhile.
func (e *Engine) applyAccepted(tx *store.Tx, emit emitFunc, acc []store.ID) error {
	for _, id := range acc {
		m, ok, err := tx.Message(id)
		if err != nil {
			e.cfg.Logger.Error("accepted message unreadable", "id", id, "err", err)
			continue
		}
		if !ok || m.OutboxSeq == 0 {
			continue
		}
		if m.Status.Rank() < store.Sent.Rank() {
			if err := setStatus(tx, emit, &m, store.Sent, e.cfg.Now()); err != nil {
				return err
			}
		}
		if err := tx.Dequeue(&m); err != nil {
			return err
		}
	}
	return nil
}

// forgetInflight drops the inflight records of acc once their sent status
// is committed (the messages have left the outbox).
func (e *Engine) forgetInflight(acc []store.ID) {
	if len(acc) == 0 {
		return
	}
	e.mu.Lock()
	for _, id := range acc {
		delete(e.inflight, id)
	}
	e.mu.Unlock()
}
