package cluster

import (
	"bytes"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/securep2p/securep2p/relay/store"
)

// errStoreFailed is JetStream's "storing a message failed" (10077): with
// DiscardNew, the recipient's subject (or the whole stream) is full.
const errStoreFailed jetstream.ErrorCode = 10077

// Append implements [store.Mailboxes]. On the recipient's worker it checks
// the account, claims the (recipient, id) index entry with
// compare-and-set, checks the byte quota, publishes the envelope (with
// Nats-Msg-Id, so a retried claim never writes twice within the dedup
// window) and waits for JetStream's acknowledgement, then marks the entry
// live and counts the bytes. done runs once, on that worker.
func (n *Node) Append(e store.Envelope, wantKey []byte, done func(store.AppendResult, error)) {
	n.submit(e.To, &appendOp{env: e, wantKey: wantKey, done: done})
}

type appendOp struct {
	env     store.Envelope
	wantKey []byte
	done    func(store.AppendResult, error)
}

func (o *appendOp) fail(err error) {
	if o.done != nil {
		o.done(store.AppendResult{}, err)
	}
}

func (o *appendOp) run(n *Node) {
	res, err := n.append(&o.env, o.wantKey)
	if err != nil {
		res = store.AppendResult{}
	}
	if o.done != nil {
		o.done(res, err)
	}
}

func (n *Node) append(e *store.Envelope, wantKey []byte) (store.AppendResult, error) {
	acct, _, err := n.account(e.To)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.AppendResult{Status: store.UnknownUser}, nil
	case err != nil:
		return store.AppendResult{}, err
	case wantKey != nil && !bytes.Equal(wantKey, acct.IdentityKey):
		return store.AppendResult{Status: store.KeyChanged}, nil
	}
	rev, dup, err := n.claim(e)
	if err != nil || dup {
		return store.AppendResult{Status: store.Duplicate}, err
	}
	full, err := n.overQuota(e)
	if err != nil || full {
		n.release(e, rev)
		return store.AppendResult{Status: store.MailboxFull}, err
	}
	ack, full, err := n.publish(e)
	if full {
		n.release(e, rev)
		return store.AppendResult{Status: store.MailboxFull}, nil
	}
	if err != nil {
		return store.AppendResult{}, err // the claim stays pending: a re-send retries
	}
	return n.commitAppend(e, rev, ack)
}

// claim takes the index entry of (e.To, e.ID) for this append: created
// pending, or re-taken when it is pending from an unfinished append or
// expired. dup reports a live envelope or an unexpired tombstone.
func (n *Node) claim(e *store.Envelope) (rev uint64, dup bool, err error) {
	key := indexKey(e.To, e.ID)
	pending, err := encode(indexRec{State: idxPending, Until: millis(e.ExpiresAt)})
	if err != nil {
		return 0, false, err
	}
	for i := range casRetries {
		cur, curRev, found, err := n.get(n.index, key)
		if err != nil {
			return 0, false, err
		}
		if found {
			idx, err := decodeIndex(cur)
			if err != nil {
				return 0, false, err
			}
			if idx.State != idxPending && !expired(idx.Until, e.SentAt) {
				return 0, true, nil
			}
		}
		newRev, conflict, err := n.put(n.index, key, pending, curRev)
		if err != nil || !conflict {
			return newRev, false, err
		}
		backoff(i)
	}
	return 0, false, errConflict
}

// release gives up a pending claim (nothing was written).
func (n *Node) release(e *store.Envelope, rev uint64) {
	if err := n.del(n.index, indexKey(e.To, e.ID), rev); err != nil {
		n.cfg.Logger.Warn("cluster: release index entry", "err", err)
	}
}

func (n *Node) overQuota(e *store.Envelope) (bool, error) {
	b, _, found, err := n.get(n.index, metaKey(e.To))
	if err != nil || !found {
		return false, err
	}
	meta, err := decodeMeta(b)
	if err != nil {
		return false, err
	}
	return meta.Count+1 > n.cfg.MailboxMaxMsgs || meta.Bytes+e.Size() > n.cfg.MailboxMaxBytes, nil
}

// publish writes the envelope and waits for JetStream's acknowledgement.
// full reports that the server refused it for the message quota.
func (n *Node) publish(e *store.Envelope) (ack *jetstream.PubAck, full bool, err error) {
	data, err := encode(envelopeRec{ID: e.ID[:], From: e.From, Body: e.Body,
		SentAt: millis(e.SentAt), ExpiresAt: millis(e.ExpiresAt)})
	if err != nil {
		return nil, false, err
	}
	ctx, cancel := n.ctx()
	defer cancel()
	start := time.Now()
	ack, err = n.js.PublishMsg(ctx, &nats.Msg{Subject: mailSubject(e.To), Data: data},
		jetstream.WithMsgID(msgID(e.To, e.ID)), jetstream.WithExpectStream(mailStream))
	var api *jetstream.APIError
	if errors.As(err, &api) && api.ErrorCode == errStoreFailed {
		n.m.roundTrip(opPublish, start, nil)
		return nil, true, nil
	}
	n.m.roundTrip(opPublish, start, err)
	if err == nil {
		n.m.publishAck.Observe(time.Since(start).Seconds())
	}
	return ack, false, err
}

// commitAppend marks the claim live and counts the envelope. A conflict
// means another node touched the entry in between (a concurrent append of
// the same id, which JetStream's dedup gave the same message, or an ack of
// the envelope already delivered): the entry is theirs to finish. Whether
// this append wrote the envelope is the acknowledgement's Duplicate flag.
func (n *Node) commitAppend(e *store.Envelope, rev uint64, ack *jetstream.PubAck) (store.AppendResult, error) {
	live, err := encode(indexRec{State: idxLive, Seq: ack.Sequence, Until: millis(e.ExpiresAt)})
	if err != nil {
		return store.AppendResult{}, err
	}
	if _, _, err := n.put(n.index, indexKey(e.To, e.ID), live, rev); err != nil {
		return store.AppendResult{}, err
	}
	if ack.Duplicate {
		return store.AppendResult{Status: store.Duplicate}, nil
	}
	if err := n.addMeta(e.To, 1, e.Size()); err != nil {
		n.cfg.Logger.Warn("cluster: mailbox accounting", "err", err)
	}
	return store.AppendResult{Status: store.Stored, Seq: ack.Sequence}, nil
}

// addMeta adds count and size to user's quota accounting (never below 0).
func (n *Node) addMeta(user string, count, size int64) error {
	return n.update(n.index, metaKey(user), func(cur []byte, found bool) ([]byte, error) {
		var m metaRec
		if found {
			var err error
			if m, err = decodeMeta(cur); err != nil {
				m = metaRec{} // rebuilt from here on
			}
		}
		return encode(metaRec{Count: max(m.Count+count, 0), Bytes: max(m.Bytes+size, 0)})
	})
}
