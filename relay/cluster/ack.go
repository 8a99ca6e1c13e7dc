package cluster

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/securep2p/securep2p/relay/store"
)

// Ack implements [store.Mailboxes]: on the recipient's worker (batched
// with the other queued acks), the envelope is deleted from the stream by
// its sequence and the batch's bytes are uncounted. The index entry stays:
// it keeps a re-send of the id a Duplicate until the envelope would have
// expired. Only the node whose delete succeeds reports Removed and
// uncounts (acks and expiry sweeps on several nodes race for the same
// envelope).
func (n *Node) Ack(username string, id store.ID, done func(store.AckResult, error)) {
	n.submit(username, &ackOp{user: username, id: id, done: done})
}

type ackOp struct {
	user string
	id   store.ID
	done func(store.AckResult, error)
	res  store.AckResult
	err  error
}

func (o *ackOp) fail(err error) {
	if o.done != nil {
		o.done(store.AckResult{}, err)
	}
}

// ackBatch deletes the acked envelopes concurrently, then uncounts them
// with one accounting update per user.
func (n *Node) ackBatch(acks []*ackOp) {
	parallel(len(acks), func(i int) { n.ack(acks[i]) })
	freed := map[string]*recipient{}
	var users []*recipient
	for _, o := range acks {
		if !o.res.Removed {
			continue
		}
		r := freed[o.user]
		if r == nil {
			r = &recipient{name: o.user}
			freed[o.user] = r
			users = append(users, r)
		}
		r.count--
		r.bytes -= o.res.Size
	}
	if len(users) > 0 {
		parallel(len(users), func(i int) { n.countBatch(users[i]) })
	}
	for _, o := range acks {
		switch {
		case o.done == nil:
		case o.err != nil:
			o.done(store.AckResult{}, o.err)
		default:
			o.done(o.res, nil)
		}
	}
}

// ack finds the envelope (from what Pending returned, else from the index)
// and deletes it.
func (n *Node) ack(o *ackOp) {
	if !validUser(o.user) {
		return
	}
	env, ok := n.delivered.take(o.user, o.id)
	if !ok {
		if env, ok, o.err = n.locate(o.user, o.id); !ok || o.err != nil {
			return
		}
	}
	removed, err := n.deleteSeq(env.seq)
	switch {
	case err != nil:
		o.err = err // the envelope may still be there: it stays deliverable
	case removed:
		o.res = store.AckResult{Removed: true, SentAt: env.sentAt, Size: env.size}
	}
}

// locate finds (user, id) in the stream at the sequence its index entry
// names. An id without a live entry is not looked for (no mailbox scan:
// one Ack frame carries up to 256 ids, and a scan costs one leader read
// per envelope on a worker other recipients share): it reports not found,
// and the envelope, if there is one, stays in the mailbox and is delivered
// again on the next connection (the daemon drops an id it already has and
// acks it again). The only envelope that can be delivered before its entry
// is written (the append is finishing) was returned by Pending, on the
// node whose connection acks it: its Ack finds it in n.delivered (see ack).
func (n *Node) locate(user string, id store.ID) (deliveredEnv, bool, error) {
	cur, _, found, err := n.get(n.index, indexKey(user, id))
	if err != nil || !found {
		return deliveredEnv{}, false, err
	}
	idx, err := decodeIndex(cur)
	if err != nil {
		return deliveredEnv{}, false, err
	}
	if idx.State != idxLive || idx.Seq == 0 {
		return deliveredEnv{}, false, nil
	}
	seq := idx.Seq
	env, err := n.getMsg(seq, mailSubject(user))
	if errors.Is(err, jetstream.ErrMsgNotFound) || err == nil && (env.seq != seq || string(env.ID) != string(id[:])) {
		return deliveredEnv{}, false, nil // acked or expired already
	}
	if err != nil {
		return deliveredEnv{}, false, err
	}
	return deliveredEnv{seq: seq, size: int64(len(env.Body)), sentAt: store.FromMillis(env.SentAt)}, true, nil
}

// deleteSeq removes the envelope at seq. removed is false when the stream
// leader answered that it was not there (deleted already); err reports a
// delete that got no answer (the envelope may still be there).
func (n *Node) deleteSeq(seq uint64) (removed bool, err error) {
	ctx, cancel := n.ctx()
	defer cancel()
	start := time.Now()
	err = n.mail.DeleteMsg(ctx, seq)
	n.m.roundTrip(opMsgDelete, start, err)
	if errors.Is(err, jetstream.ErrMsgDeleteUnsuccessful) {
		return false, nil
	}
	return err == nil, err
}

// deleteMsg removes the envelope at seq and uncounts it when this delete
// succeeded.
func (n *Node) deleteMsg(user string, seq uint64, size int64) bool {
	if removed, _ := n.deleteSeq(seq); !removed {
		return false
	}
	if err := n.addMeta(user, -1, -size); err != nil {
		n.cfg.Logger.Warn("cluster: mailbox accounting", "err", err)
	}
	return true
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
