package cluster

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/securep2p/securep2p/relay/store"
)

// errStoreFailed is JetStream's "storing a message failed" (10077): with
// DiscardNew, the recipient's subject (or the whole stream) is full.
const errStoreFailed jetstream.ErrorCode = 10077

// Append implements [store.Mailboxes]. Appends are queued on the
// recipient's worker, which takes whatever is queued as one batch (see
// appendBatch); done runs once, on that worker, in submission order.
func (n *Node) Append(e store.Envelope, wantKey []byte, done func(store.AppendResult, error)) {
	n.submit(e.To, &appendOp{env: e, wantKey: wantKey, done: done})
}

type appendOp struct {
	env     store.Envelope
	wantKey []byte
	done    func(store.AppendResult, error)

	res     store.AppendResult
	err     error
	prior   []byte // the index entry read before publishing (nil: none)
	rev     uint64 // its revision (0: none)
	fut     jetstream.PubAckFuture
	ack     *jetstream.PubAck
	counted bool      // the envelope counts in this batch's accounting
	twin    *appendOp // an earlier append of the same id in this batch
}

func (o *appendOp) fail(err error) {
	if o.done != nil {
		o.done(store.AppendResult{}, err)
	}
}

func (o *appendOp) finish() {
	if o.err != nil {
		o.fail(o.err)
		return
	}
	if o.done != nil {
		o.done(o.res, nil)
	}
}

// recipient is what one batch knows about one recipient's mailbox.
type recipient struct {
	name         string
	acct         accountRec
	acctErr      error
	meta         metaRec
	metaErr      error
	count, bytes int64 // envelopes this batch adds
}

// appendBatch runs a batch of appends in four pipelined stages, each a set
// of concurrent requests: (1) read the recipients' accounts and quota
// accounting and every id's index entry; (2) check them in submission
// order; (3) publish the survivors asynchronously in submission order (so
// the stream sequence follows it) with Nats-Msg-Id, and wait for every
// JetStream acknowledgement; (4) record each id's index entry (the stream
// sequence, kept until the envelope would have expired: the dedup record
// beyond JetStream's window, also after the Ack) and add the batch to each
// recipient's accounting. Nothing is reported before stage 3's
// acknowledgement; results are reported in submission order.
func (n *Node) appendBatch(ops []*appendOp) {
	rcpts := n.readBatch(ops)
	first := map[deliveredKey]*appendOp{}
	for _, o := range ops {
		k := deliveredKey{o.env.To, o.env.ID}
		if f := first[k]; f != nil {
			o.twin = f // JetStream refuses a second copy in flight
			continue
		}
		if n.check(o, rcpts[o.env.To]); o.counted {
			first[k] = o
		}
	}
	n.publishBatch(ops)
	n.settle(ops, rcpts)
	users := make([]*recipient, 0, len(rcpts))
	for _, r := range rcpts {
		users = append(users, r)
	}
	parallel(len(users)+1, func(i int) {
		if i == 0 {
			n.recordIndexes(ops)
			return
		}
		n.countBatch(users[i-1])
	})
	for _, o := range ops {
		o.finish()
	}
}

// readBatch reads, concurrently, every recipient's account and accounting
// entry and every append's index entry.
func (n *Node) readBatch(ops []*appendOp) map[string]*recipient {
	rcpts := map[string]*recipient{}
	var users []string
	for _, o := range ops {
		if rcpts[o.env.To] == nil {
			rcpts[o.env.To] = &recipient{name: o.env.To}
			users = append(users, o.env.To)
		}
	}
	parallel(2*len(users)+len(ops), func(i int) {
		switch {
		case i < len(users):
			r := rcpts[users[i]]
			r.acct, _, r.acctErr = n.account(users[i])
		case i < 2*len(users):
			r := rcpts[users[i-len(users)]]
			r.meta, r.metaErr = n.readMeta(users[i-len(users)])
		default:
			o := ops[i-2*len(users)]
			var found bool
			o.prior, o.rev, found, o.err = n.get(n.index, indexKey(o.env.To, o.env.ID))
			if !found {
				o.prior = nil
			}
		}
	})
	return rcpts
}

func (n *Node) readMeta(user string) (metaRec, error) {
	b, _, found, err := n.get(n.index, metaKey(user))
	if err != nil || !found {
		return metaRec{}, err
	}
	return decodeMeta(b)
}

// check decides an append before publishing: unknown recipient, changed
// key, an id already recorded (a Duplicate) or a full mailbox end it here.
// The byte quota counts the envelopes of this batch before it.
func (n *Node) check(o *appendOp, r *recipient) {
	switch {
	case o.err != nil:
	case errors.Is(r.acctErr, store.ErrNotFound):
		o.res.Status = store.UnknownUser
	case r.acctErr != nil:
		o.err = r.acctErr
	case o.wantKey != nil && !bytes.Equal(o.wantKey, r.acct.IdentityKey):
		o.res.Status = store.KeyChanged
	case r.metaErr != nil:
		o.err = r.metaErr
	default:
		n.checkIndex(o, r)
	}
}

func (n *Node) checkIndex(o *appendOp, r *recipient) {
	e := &o.env
	if o.prior != nil {
		idx, err := decodeIndex(o.prior)
		if err != nil {
			o.err = err
			return
		}
		if idx.State != idxPending && !expired(idx.Until, e.SentAt) {
			o.res.Status = store.Duplicate
			return
		}
	}
	if r.meta.Count+r.count+1 > n.cfg.MailboxMaxMsgs || r.meta.Bytes+r.bytes+e.Size() > n.cfg.MailboxMaxBytes {
		o.res.Status = store.MailboxFull
		return
	}
	r.count++
	r.bytes += e.Size()
	o.counted = true
}

// publishBatch publishes the checked appends in order and waits for their
// acknowledgements.
func (n *Node) publishBatch(ops []*appendOp) {
	start := time.Now()
	for _, o := range ops {
		if o.counted {
			n.publishAsync(o)
		}
	}
	for _, o := range ops {
		if o.fut != nil {
			n.awaitAck(o, start)
		}
	}
}

func (n *Node) publishAsync(o *appendOp) {
	e := &o.env
	data, err := encode(envelopeRec{ID: e.ID[:], From: e.From, Body: e.Body,
		SentAt: store.Millis(e.SentAt), ExpiresAt: store.Millis(e.ExpiresAt)})
	if err == nil {
		o.fut, err = n.js.PublishMsgAsync(&nats.Msg{Subject: mailSubject(e.To), Data: data},
			jetstream.WithMsgID(msgID(e.To, e.ID)), jetstream.WithExpectStream(mailStream))
	}
	if err != nil {
		n.m.errs.WithLabelValues(opPublish).Inc()
		o.err = err
	}
}

// awaitAck waits for o's acknowledgement (bounded by OpTimeout).
func (n *Node) awaitAck(o *appendOp, start time.Time) {
	timer := time.NewTimer(n.cfg.OpTimeout + time.Second)
	defer timer.Stop()
	var err error
	select {
	case o.ack = <-o.fut.Ok():
	case err = <-o.fut.Err():
	case <-timer.C:
		err = context.DeadlineExceeded
	}
	var api *jetstream.APIError
	switch {
	case errors.As(err, &api) && api.ErrorCode == errStoreFailed:
		n.m.roundTrip(opPublish, start, nil)
		o.res.Status = store.MailboxFull
	case err != nil:
		n.m.roundTrip(opPublish, start, err)
		o.err = err
	default:
		n.m.roundTrip(opPublish, start, nil)
		n.m.publishAck.Observe(time.Since(start).Seconds())
	}
}

// settle turns acknowledgements into results and takes the envelopes that
// were not written out of the batch's accounting.
func (n *Node) settle(ops []*appendOp, rcpts map[string]*recipient) {
	for _, o := range ops {
		switch {
		case o.twin != nil && o.twin.ack != nil:
			o.res.Status = store.Duplicate
		case o.twin != nil:
			o.res, o.err = o.twin.res, o.twin.err
		case o.ack != nil && !o.ack.Duplicate:
			o.res = store.AppendResult{Status: store.Stored, Seq: o.ack.Sequence}
			continue
		case o.ack != nil:
			o.res.Status = store.Duplicate
		}
		if o.counted {
			r := rcpts[o.env.To]
			r.count--
			r.bytes -= o.env.Size()
			o.counted = false
		}
	}
}

// recordIndexes writes the index entries of the acknowledged appends
// (duplicates too: their original may have died before writing its own).
func (n *Node) recordIndexes(ops []*appendOp) {
	var acked []*appendOp
	for _, o := range ops {
		if o.ack != nil {
			acked = append(acked, o)
		}
	}
	if len(acked) > 0 {
		parallel(len(acked), func(i int) { n.recordIndex(acked[i]) })
	}
}

// recordIndex creates (or replaces a pending or expired) index entry. An
// unexpired entry for another sequence means the id was stored before,
// beyond JetStream's dedup window: the copy just written is deleted and the
// append reported Duplicate.
func (n *Node) recordIndex(o *appendOp) {
	e := &o.env
	key := indexKey(e.To, e.ID)
	live, err := encode(indexRec{State: idxLive, Seq: o.ack.Sequence, Until: store.Millis(e.ExpiresAt)})
	if err != nil {
		o.err = err
		return
	}
	rev := o.rev
	for i := range casRetries {
		_, conflict, err := n.put(n.index, key, live, rev)
		if err != nil || !conflict {
			o.err = err
			return
		}
		cur, curRev, found, err := n.get(n.index, key)
		if err != nil {
			o.err = err
			return
		}
		if found {
			if idx, err := decodeIndex(cur); err == nil && idx.State != idxPending && !expired(idx.Until, e.SentAt) {
				n.dropCopy(o, idx.Seq)
				return
			}
		}
		rev = curRev
		backoff(i)
	}
	o.err = errConflict
}

// dropCopy handles an index entry recorded by another append of the same
// id: a different sequence is a second copy, deleted here.
func (n *Node) dropCopy(o *appendOp, seq uint64) {
	if seq == o.ack.Sequence || o.ack.Duplicate {
		return
	}
	n.deleteMsg(o.env.To, o.ack.Sequence, o.env.Size())
	o.res = store.AppendResult{Status: store.Duplicate}
}

// countBatch adds the batch's stored envelopes to r's accounting.
func (n *Node) countBatch(r *recipient) {
	if r.count == 0 && r.bytes == 0 {
		return
	}
	if err := n.addMeta(r.name, r.count, r.bytes); err != nil {
		n.cfg.Logger.Warn("cluster: mailbox accounting", "err", err)
	}
}

// addMeta adds count and size to user's quota accounting. The sum may be
// negative for a moment (an Ack's uncount can overtake the append's
// count); quota checks read it as it is.
func (n *Node) addMeta(user string, count, size int64) error {
	return n.update(n.index, metaKey(user), func(cur []byte, found bool) ([]byte, error) {
		var m metaRec
		if found {
			var err error
			if m, err = decodeMeta(cur); err != nil {
				m = metaRec{} // rebuilt from here on
			}
		}
		return encode(metaRec{Count: m.Count + count, Bytes: m.Bytes + size})
	})
}
