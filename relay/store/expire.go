package store

import (
	"time"

	bolt "go.etcd.io/bbolt"
)

// Expire implements [Mailboxes]. Envelopes are scanned from the oldest and
// the scan of a mailbox stops at the first one not yet expired (the TTL is
// the same for every envelope of a run, so expiry follows sequence order;
// Pending skips any expired envelope the scan did not reach). Tombstones
// are scanned in full, in both parts of the index (recent.go).
func (s *Bolt) Expire(now time.Time) (ExpireResult, error) {
	var res ExpireResult
	nowMS := now.UnixMilli()
	err := s.db.Update(func(tx *bolt.Tx) error {
		res = ExpireResult{}
		root := tx.Bucket(bucketMail)
		return root.ForEachBucket(func(user []byte) error {
			box := root.Bucket(user)
			n, b, err := expireMessages(box, nowMS)
			res.Envelopes += n
			res.Bytes += b
			if err != nil {
				return err
			}
			index := box.Bucket(bucketIndex)
			if err := expireTombstones(box.Bucket(bucketRecent), index, nowMS); err != nil {
				return err
			}
			return expireTombstones(index, nil, nowMS)
		})
	})
	if err == nil {
		s.messages.Add(-int64(res.Envelopes))
		s.bytes.Add(-res.Bytes)
	}
	return res, err
}

func expireMessages(box *bolt.Bucket, nowMS int64) (n int, freed int64, err error) {
	msgs, index, recent := box.Bucket(bucketMsgs), box.Bucket(bucketIndex), box.Bucket(bucketRecent)
	if msgs == nil || index == nil {
		return 0, 0, nil
	}
	c := msgs.Cursor()
	for k, v := c.First(); k != nil; k, v = c.First() {
		rec, err := decodeEnvelope(v)
		if err != nil {
			return n, freed, err
		}
		if rec.ExpiresAt == 0 || rec.ExpiresAt > nowMS {
			break
		}
		if err := removeEnvelope(box, msgs, beUint64(k), int64(len(rec.Body))); err != nil {
			return n, freed, err
		}
		if err := index.Delete(rec.ID); err != nil {
			return n, freed, err
		}
		if recent != nil {
			if err := recent.Delete(rec.ID); err != nil {
				return n, freed, err
			}
		}
		n++
		freed += int64(len(rec.Body))
	}
	return n, freed, nil
}

// expireTombstones deletes index's expired tombstones and, from shadowed
// (when not nil), the entries they shadow (recent.go).
func expireTombstones(index, shadowed *bolt.Bucket, nowMS int64) error {
	if index == nil {
		return nil
	}
	var dead [][]byte
	err := index.ForEach(func(k, v []byte) error {
		idx, err := decodeIndex(v)
		if err != nil {
			return err
		}
		if idx.Seq == 0 && idx.Until != 0 && idx.Until <= nowMS {
			dead = append(dead, append([]byte(nil), k...))
		}
		return nil
	})
	for _, k := range dead {
		if err == nil {
			err = index.Delete(k)
		}
		if err == nil && shadowed != nil {
			err = shadowed.Delete(k)
		}
	}
	return err
}
