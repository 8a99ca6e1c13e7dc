package store

import (
	"bytes"
	"time"

	bolt "go.etcd.io/bbolt"
)

// mailbox returns username's mailbox buckets, creating them when create is set.
func mailbox(tx *bolt.Tx, username string, create bool) (box, msgs, index *bolt.Bucket, err error) {
	root := tx.Bucket(bucketMail)
	if !create {
		if box = root.Bucket([]byte(username)); box == nil {
			return nil, nil, nil, nil
		}
		return box, box.Bucket(bucketMsgs), box.Bucket(bucketIndex), nil
	}
	if box, err = root.CreateBucketIfNotExists([]byte(username)); err != nil {
		return nil, nil, nil, err
	}
	if msgs, err = box.CreateBucketIfNotExists(bucketMsgs); err != nil {
		return nil, nil, nil, err
	}
	index, err = box.CreateBucketIfNotExists(bucketIndex)
	return box, msgs, index, err
}

func putMeta(box *bolt.Bucket, m metaRec) error {
	b, err := encode(m)
	if err != nil {
		return err
	}
	return box.Put(keyMeta, b)
}

// Append implements [Mailboxes].
func (s *Bolt) Append(e Envelope, wantKey []byte, done func(AppendResult, error)) {
	s.submit(&appendOp{env: e, wantKey: wantKey, done: done})
}

type appendOp struct {
	env     Envelope
	wantKey []byte
	done    func(AppendResult, error)
	res     AppendResult
	s       *Bolt
}

func (o *appendOp) apply(tx *bolt.Tx, s *Bolt) error {
	o.s, o.res = s, AppendResult{}
	acct, err := getAccount(tx, o.env.To)
	switch {
	case err == ErrNotFound:
		o.res.Status = UnknownUser
		return nil
	case err != nil:
		return err
	case o.wantKey != nil && !bytes.Equal(o.wantKey, acct.IdentityKey):
		o.res.Status = KeyChanged
		return nil
	}
	box, msgs, index, err := mailbox(tx, o.env.To, true)
	if err != nil {
		return err
	}
	if index.Get(o.env.ID[:]) != nil {
		o.res.Status = Duplicate
		return nil
	}
	return o.store(box, msgs, index)
}

func (o *appendOp) store(box, msgs, index *bolt.Bucket) error {
	meta, err := decodeMeta(box.Get(keyMeta))
	if err != nil {
		return err
	}
	if meta.Count+1 > o.s.opts.MailboxMaxMsgs || meta.Bytes+o.env.Size() > o.s.opts.MailboxMaxBytes {
		o.res.Status = MailboxFull
		return nil
	}
	seq, err := msgs.NextSequence()
	if err != nil {
		return err
	}
	rec, err := encode(envelopeRec{ID: o.env.ID[:], From: o.env.From, Body: o.env.Body,
		SentAt: millis(o.env.SentAt), ExpiresAt: millis(o.env.ExpiresAt)})
	if err != nil {
		return err
	}
	idx, err := encode(indexRec{Seq: seq, Until: millis(o.env.ExpiresAt)})
	if err != nil {
		return err
	}
	if err := msgs.Put(u64key(seq), rec); err != nil {
		return err
	}
	if err := index.Put(o.env.ID[:], idx); err != nil {
		return err
	}
	o.res = AppendResult{Status: Stored, Seq: seq}
	return putMeta(box, metaRec{Count: meta.Count + 1, Bytes: meta.Bytes + o.env.Size()})
}

func (o *appendOp) finish(err error) {
	if err != nil {
		o.res = AppendResult{}
	} else if o.res.Status == Stored {
		o.s.messages.Add(1)
		o.s.bytes.Add(o.env.Size())
	}
	if o.done != nil {
		o.done(o.res, err)
	}
}

// Ack implements [Mailboxes].
func (s *Bolt) Ack(username string, id ID, done func(AckResult, error)) {
	s.submit(&ackOp{user: username, id: id, done: done})
}

type ackOp struct {
	user string
	id   ID
	done func(AckResult, error)
	res  AckResult
	s    *Bolt
}

func (o *ackOp) apply(tx *bolt.Tx, s *Bolt) error {
	o.s, o.res = s, AckResult{}
	box, msgs, index, err := mailbox(tx, o.user, false)
	if box == nil || err != nil {
		return err
	}
	raw := index.Get(o.id[:])
	if raw == nil {
		return nil
	}
	idx, err := decodeIndex(raw)
	if err != nil || idx.Seq == 0 {
		return err
	}
	rec, err := decodeEnvelope(msgs.Get(u64key(idx.Seq)))
	if err != nil {
		return err
	}
	if err := removeEnvelope(box, msgs, idx.Seq, int64(len(rec.Body))); err != nil {
		return err
	}
	tomb, err := encode(indexRec{Until: rec.ExpiresAt})
	if err != nil {
		return err
	}
	o.res = AckResult{Removed: true, SentAt: fromMillis(rec.SentAt), Size: int64(len(rec.Body))}
	return index.Put(o.id[:], tomb)
}

func (o *ackOp) finish(err error) {
	if err != nil {
		o.res = AckResult{}
	} else if o.res.Removed {
		o.s.messages.Add(-1)
		o.s.bytes.Add(-o.res.Size)
	}
	if o.done != nil {
		o.done(o.res, err)
	}
}

func removeEnvelope(box, msgs *bolt.Bucket, seq uint64, size int64) error {
	if err := msgs.Delete(u64key(seq)); err != nil {
		return err
	}
	meta, err := decodeMeta(box.Get(keyMeta))
	if err != nil {
		return err
	}
	return putMeta(box, metaRec{Count: max(meta.Count-1, 0), Bytes: max(meta.Bytes-size, 0)})
}

// Pending implements [Mailboxes].
func (s *Bolt) Pending(username string, after uint64, now time.Time, max int) ([]Envelope, error) {
	var out []Envelope
	err := s.db.View(func(tx *bolt.Tx) error {
		box, msgs, _, err := mailbox(tx, username, false)
		if box == nil || err != nil {
			return err
		}
		c := msgs.Cursor()
		for k, v := c.Seek(u64key(after + 1)); k != nil && len(out) < max; k, v = c.Next() {
			rec, err := decodeEnvelope(v)
			if err != nil {
				return err
			}
			if rec.ExpiresAt != 0 && rec.ExpiresAt <= now.UnixMilli() {
				continue
			}
			out = append(out, toEnvelope(username, beUint64(k), rec))
		}
		return nil
	})
	return out, err
}

func toEnvelope(to string, seq uint64, r envelopeRec) Envelope {
	e := Envelope{To: to, From: r.From, Body: bytes.Clone(r.Body), Seq: seq,
		SentAt: fromMillis(r.SentAt), ExpiresAt: fromMillis(r.ExpiresAt)}
	copy(e.ID[:], r.ID)
	return e
}

func beUint64(k []byte) uint64 {
	var n uint64
	for _, b := range k {
		n = n<<8 | uint64(b)
	}
	return n
}
