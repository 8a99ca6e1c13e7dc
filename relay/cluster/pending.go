package cluster

import (
	"bytes"
	"errors"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/securep2p/securep2p/relay/store"
)

// Pending implements [store.Mailboxes]: up to max envelopes on username's
// subject with stream sequence > after, in order, skipping expired ones.
// Reads go to the stream leader, so every acknowledged append is seen.
func (n *Node) Pending(username string, after uint64, now time.Time, max int) ([]store.Envelope, error) {
	if !validUser(username) {
		return nil, nil
	}
	ctx, cancel := n.ctx()
	defer cancel()
	var out []store.Envelope
	for seq := after + 1; len(out) < max; {
		env, err := n.getMsgCtx(ctx, seq, mailSubject(username))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		seq = env.seq + 1
		if expired(env.ExpiresAt, now) {
			continue
		}
		out = append(out, toEnvelope(username, env))
	}
	return out, nil
}

func toEnvelope(to string, s storedEnvelope) store.Envelope {
	e := store.Envelope{To: to, From: s.From, Body: bytes.Clone(s.Body), Seq: s.seq,
		SentAt: fromMillis(s.SentAt), ExpiresAt: fromMillis(s.ExpiresAt)}
	copy(e.ID[:], s.ID)
	return e
}

// maxExpirePerSweep bounds one sweep's work; the next sweep continues.
const maxExpirePerSweep = 10000

// Expire implements [store.Mailboxes]. The mail stream is walked from its
// oldest message and the walk stops at the first one not yet expired (the
// TTL is one setting, so expiry follows the stream order; Pending skips any
// expired envelope the walk did not reach). Each expired envelope is
// deleted, its index entry dropped and its bytes uncounted by whichever
// node's delete succeeds. Expired tombstones need no sweep: Append treats
// them as absent and the index bucket's TTL removes them.
func (n *Node) Expire(now time.Time) (store.ExpireResult, error) {
	var res store.ExpireResult
	for seq := uint64(1); res.Envelopes < maxExpirePerSweep; {
		env, err := n.getMsg(seq, mailPrefix+"*")
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return res, nil
		}
		if err != nil {
			return res, err
		}
		seq = env.seq + 1
		if !expired(env.ExpiresAt, now) {
			return res, nil
		}
		user := strings.TrimPrefix(env.subject, mailPrefix)
		if n.deleteMsg(user, env.seq, int64(len(env.Body))) {
			res.Envelopes++
			res.Bytes += int64(len(env.Body))
			n.dropIndex(user, env)
		}
	}
	return res, nil
}

// dropIndex deletes the index entry of an expired envelope if it still
// points to it.
func (n *Node) dropIndex(user string, env storedEnvelope) {
	var id store.ID
	copy(id[:], env.ID)
	key := indexKey(user, id)
	cur, rev, found, err := n.get(n.index, key)
	if err != nil || !found {
		return
	}
	if idx, err := decodeIndex(cur); err == nil && idx.Seq == env.seq && idx.State == idxLive {
		_ = n.del(n.index, key, rev)
	}
}
