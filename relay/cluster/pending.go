package cluster

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/securep2p/securep2p/relay/store"
)

// Pending implements [store.Mailboxes]: up to max envelopes on username's
// subject with stream sequence > after, in order, skipping expired ones.
// Reads go to the stream leader, so every acknowledged append is seen.
// Each round asks for the next message at or after each of several
// consecutive sequences at once. The width adapts (see nextWidth): one
// read while the mailbox is sparse (a live mailbox with one new envelope
// costs two reads: the envelope and the miss after it), growing towards
// pendingWidth while the reads find consecutive envelopes.
func (n *Node) Pending(username string, after uint64, now time.Time, max int) ([]store.Envelope, error) {
	if !validUser(username) || max <= 0 {
		return nil, nil
	}
	ctx, cancel := n.ctx()
	defer cancel()
	var out []store.Envelope
	next, width, run := after+1, 1, 0
	for len(out) < max {
		from := next
		got, end, err := n.pendingRound(ctx, username, from, min(width, max-len(out)))
		for _, env := range got {
			next = env.seq + 1
			if len(out) < max && !expired(env.ExpiresAt, now) {
				out = append(out, toEnvelope(username, env))
				n.delivered.put(&out[len(out)-1])
			}
		}
		if end || err != nil {
			return out, err
		}
		width, run = nextWidth(from, got, run)
	}
	return out, nil
}

// pendingWidth bounds the concurrent reads of one Pending round.
const pendingWidth = 16

// nextWidth returns the next round's width and dense run after a round
// that read from `from` and found got without reaching the end. A round is
// dense when every read found the envelope at its own sequence (no read
// was wasted); run counts the envelopes of the dense rounds in a row, and
// the next width is that count (1, 1, 2, 4, 8, 16: doubling after the
// first two single reads), capped at pendingWidth. Any other round (a
// read skipped over a gap or answered an envelope already found) drops
// back to one read.
func nextWidth(from uint64, got []storedEnvelope, run int) (width, newRun int) {
	for i, env := range got {
		if env.seq != from+uint64(i) {
			return 1, 0
		}
	}
	run += len(got)
	return max(1, min(pendingWidth, run)), run
}

// pendingRound reads the first message on user's subject at or after each
// of from..from+width-1 concurrently and returns the distinct ones in
// order, stopping at the first failed read. end reports that the subject
// has nothing more.
func (n *Node) pendingRound(ctx context.Context, user string, from uint64, width int) (got []storedEnvelope, end bool, err error) {
	envs := make([]storedEnvelope, width)
	errs := make([]error, width)
	parallel(width, func(i int) { envs[i], errs[i] = n.getMsgCtx(ctx, from+uint64(i), mailSubject(user)) })
	for i := range width {
		switch {
		case errors.Is(errs[i], jetstream.ErrMsgNotFound):
			return got, true, nil
		case errs[i] != nil:
			return got, false, errs[i]
		case len(got) == 0 || envs[i].seq != got[len(got)-1].seq:
			got = append(got, envs[i])
		}
	}
	return got, false, nil
}

func toEnvelope(to string, s storedEnvelope) store.Envelope {
	e := store.Envelope{To: to, From: s.From, Body: bytes.Clone(s.Body), Seq: s.seq,
		SentAt: store.FromMillis(s.SentAt), ExpiresAt: store.FromMillis(s.ExpiresAt)}
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
