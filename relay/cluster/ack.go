package cluster

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/securep2p/securep2p/relay/store"
)

// Ack implements [store.Mailboxes]: on the recipient's worker, the index
// entry becomes a tombstone (compare-and-set; kept until the envelope
// would have expired), then the envelope is deleted from the stream and
// its bytes uncounted. Acking a tombstone whose delete did not happen (a
// node died in between) finishes the delete.
func (n *Node) Ack(username string, id store.ID, done func(store.AckResult, error)) {
	// Acks of one user need no order among themselves or with appends of
	// other ids: they spread over the workers by (user, id).
	n.submit(msgID(username, id), &ackOp{user: username, id: id, done: done})
}

type ackOp struct {
	user string
	id   store.ID
	done func(store.AckResult, error)
}

func (o *ackOp) fail(err error) {
	if o.done != nil {
		o.done(store.AckResult{}, err)
	}
}

func (o *ackOp) run(n *Node) {
	res, err := n.ack(o.user, o.id)
	if err != nil {
		res = store.AckResult{}
	}
	if o.done != nil {
		o.done(res, err)
	}
}

func (n *Node) ack(user string, id store.ID) (store.AckResult, error) {
	if !validUser(user) {
		return store.AckResult{}, nil
	}
	key := indexKey(user, id)
	for i := range casRetries {
		cur, rev, found, err := n.get(n.index, key)
		if err != nil || !found {
			return store.AckResult{}, err
		}
		idx, err := decodeIndex(cur)
		if err != nil {
			return store.AckResult{}, err
		}
		if idx.State == idxTomb {
			n.finishDelete(user, idx.Seq)
			return store.AckResult{}, nil
		}
		if idx.State == idxPending {
			if idx.Seq, err = n.findSeq(user, id); err != nil || idx.Seq == 0 {
				return store.AckResult{}, err
			}
		}
		res, conflict, err := n.tombstone(user, key, rev, idx.Seq)
		if err != nil || !conflict {
			return res, err
		}
		backoff(i)
	}
	return store.AckResult{}, errConflict
}

// tombstone replaces the live entry with a tombstone, then deletes the
// envelope at seq.
func (n *Node) tombstone(user, key string, rev, seq uint64) (res store.AckResult, conflict bool, err error) {
	env, err := n.getMsg(seq, "")
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return store.AckResult{}, false, nil // expired meanwhile
	}
	if err != nil {
		return store.AckResult{}, false, err
	}
	tomb, err := encode(indexRec{State: idxTomb, Seq: seq, Until: env.ExpiresAt})
	if err != nil {
		return store.AckResult{}, false, err
	}
	if _, conflict, err = n.put(n.index, key, tomb, rev); err != nil || conflict {
		return store.AckResult{}, conflict, err
	}
	if !n.deleteMsg(user, seq, int64(len(env.Body))) {
		return store.AckResult{}, false, nil
	}
	return store.AckResult{Removed: true, SentAt: fromMillis(env.SentAt), Size: int64(len(env.Body))}, false, nil
}

// finishDelete deletes a tombstoned envelope still in the stream.
func (n *Node) finishDelete(user string, seq uint64) {
	if seq == 0 {
		return
	}
	if env, err := n.getMsg(seq, ""); err == nil {
		n.deleteMsg(user, seq, int64(len(env.Body)))
	}
}

// deleteMsg removes the envelope at seq and uncounts it; only the node
// whose delete succeeded uncounts (acks and expiry sweeps on several nodes
// race for the same envelope).
func (n *Node) deleteMsg(user string, seq uint64, size int64) bool {
	ctx, cancel := n.ctx()
	defer cancel()
	start := time.Now()
	err := n.mail.DeleteMsg(ctx, seq)
	n.m.roundTrip(opMsgDelete, start, err)
	if err != nil {
		return false
	}
	if err := n.addMeta(user, -1, -size); err != nil {
		n.cfg.Logger.Warn("cluster: mailbox accounting", "err", err)
	}
	return true
}

// findSeq scans user's mailbox for id (an append that died between its
// write and marking the entry live); 0 when it is not there.
func (n *Node) findSeq(user string, id store.ID) (uint64, error) {
	for seq := uint64(1); ; seq++ {
		env, err := n.getMsg(seq, mailSubject(user))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		if string(env.ID) == string(id[:]) {
			return env.seq, nil
		}
		seq = env.seq
	}
}

// storedEnvelope is an envelope read back from the stream.
type storedEnvelope struct {
	envelopeRec
	seq     uint64
	subject string
}

// getMsg reads the message at seq, or with subject set the first message
// at or after seq on that subject (filter), from the stream leader.
func (n *Node) getMsg(seq uint64, subject string) (storedEnvelope, error) {
	ctx, cancel := n.ctx()
	defer cancel()
	return n.getMsgCtx(ctx, seq, subject)
}

func (n *Node) getMsgCtx(ctx context.Context, seq uint64, subject string) (storedEnvelope, error) {
	var opts []jetstream.GetMsgOpt
	if subject != "" {
		opts = append(opts, jetstream.WithGetMsgSubject(subject))
	}
	start := time.Now()
	raw, err := n.mail.GetMsg(ctx, seq, opts...)
	n.m.roundTrip(opMsgGet, start, err)
	if err != nil {
		return storedEnvelope{}, err
	}
	rec, err := decodeEnvelope(raw.Data)
	return storedEnvelope{envelopeRec: rec, seq: raw.Sequence, subject: raw.Subject}, err
}
