package cluster

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// casRetries bounds compare-and-set loops; a conflict means another node
// changed the entry in between, so a few rounds always settle it.
const casRetries = 32

var errConflict = errors.New("cluster: too many concurrent updates")

// expectedErr reports answers that are part of normal operation.
func expectedErr(err error) bool {
	return errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyExists) ||
		errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrMsgNotFound) ||
		errors.Is(err, jetstream.ErrMsgDeleteUnsuccessful) || isWrongLastSeq(err)
}

func isWrongLastSeq(err error) bool {
	var api *jetstream.APIError
	return errors.As(err, &api) && (api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// get reads key from the bucket's leader (see leaderGet), so every
// acknowledged write is seen; found is false when it does not exist.
func (n *Node) get(kv jetstream.KeyValue, key string) (val []byte, rev uint64, found bool, err error) {
	ctx, cancel := n.ctx()
	defer cancel()
	start := time.Now()
	e, found, err := n.leaderGet(ctx, kv.Bucket(), key)
	n.m.roundTrip(opKVGet, start, err)
	if err != nil || !found {
		return nil, 0, false, err
	}
	return e.val, e.rev, true, nil
}

// put writes key if its revision is still rev (0: the key must not exist).
// conflict reports that it was changed (or created) in between.
func (n *Node) put(kv jetstream.KeyValue, key string, val []byte, rev uint64) (newRev uint64, conflict bool, err error) {
	ctx, cancel := n.ctx()
	defer cancel()
	start := time.Now()
	if rev == 0 {
		newRev, err = kv.Create(ctx, key, val)
	} else {
		newRev, err = kv.Update(ctx, key, val, rev)
	}
	n.m.roundTrip(opKVWrite, start, err)
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) || isWrongLastSeq(err) {
		return 0, true, nil
	}
	return newRev, false, err
}

// del deletes key if its revision is still rev.
func (n *Node) del(kv jetstream.KeyValue, key string, rev uint64) error {
	ctx, cancel := n.ctx()
	defer cancel()
	start := time.Now()
	err := kv.Delete(ctx, key, jetstream.LastRevision(rev))
	n.m.roundTrip(opKVWrite, start, err)
	if expectedErr(err) {
		return nil
	}
	return err
}

// update applies f to key's current value (nil when absent) and writes the
// result with compare-and-set, retrying on conflicts. f returns the new
// value, or an error to stop without writing.
func (n *Node) update(kv jetstream.KeyValue, key string, f func(cur []byte, found bool) ([]byte, error)) error {
	for i := range casRetries {
		cur, rev, found, err := n.get(kv, key)
		if err != nil {
			return err
		}
		next, err := f(cur, found)
		if err != nil {
			return err
		}
		_, conflict, err := n.put(kv, key, next, rev)
		if !conflict {
			return err
		}
		backoff(i)
	}
	return errConflict
}

// backoff waits a random moment growing with the attempt: a conflict
// means another node wrote the entry at the same moment.
func backoff(attempt int) {
	time.Sleep(time.Duration(rand.Int64N(int64(attempt+1) * int64(time.Millisecond))))
}
