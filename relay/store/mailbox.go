package store

import (
	"bytes"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

// mailbox returns username's mailbox buckets, creating them when create is
// set. recent may be nil when create is not set (see recent.go).
func mailbox(tx *bolt.Tx, username string, create bool) (box, msgs, index, recent *bolt.Bucket, err error) {
	root := tx.Bucket(bucketMail)
	if !create {
		if box = root.Bucket([]byte(username)); box == nil {
			return nil, nil, nil, nil, nil
		}
		return box, box.Bucket(bucketMsgs), box.Bucket(bucketIndex), box.Bucket(bucketRecent), nil
	}
	if box, err = root.CreateBucketIfNotExists([]byte(username)); err != nil {
		return nil, nil, nil, nil, err
	}
	if msgs, err = box.CreateBucketIfNotExists(bucketMsgs); err != nil {
		return nil, nil, nil, nil, err
	}
	if index, err = box.CreateBucketIfNotExists(bucketIndex); err != nil {
		return nil, nil, nil, nil, err
	}
	recent, err = box.CreateBucketIfNotExists(bucketRecent)
	return box, msgs, index, recent, err
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
	s.submit(s.newAppendOp(e, wantKey, done))
}

// newAppendOp makes the append's op. While the last rounds wrote more
// envelopes than they pushed (see noteRound), the envelope's record is
// encoded here, on the caller's goroutine, rather than on the commit
// goroutine (the serial part); a pushed envelope is mostly never written,
// so it is encoded only when it is.
func (s *Bolt) newAppendOp(e Envelope, wantKey []byte, done func(AppendResult, error)) *appendOp {
	o := &appendOp{env: e, wantKey: wantKey, done: done}
	if s.eager.Load() {
		o.rec, o.recErr = encodeEnvelope(&o.env)
	}
	return o
}

// encodeEnvelope is e's stored record (its Seq is the key, not part of it).
func encodeEnvelope(e *Envelope) ([]byte, error) {
	return encode(envelopeRec{ID: e.ID[:], From: e.From, Body: e.Body,
		SentAt: Millis(e.SentAt), ExpiresAt: Millis(e.ExpiresAt)})
}

type appendOp struct {
	env     Envelope
	wantKey []byte
	done    func(AppendResult, error)
	res     AppendResult
	s       *Bolt
	rec     []byte // the encoded record, nil until encoded (newAppendOp, put)
	recErr  error  // its encoding error

	held   bool // commit goroutine only: held in memory after a push
	dupOf  bool // commit goroutine only: waits for a held original
	heldAt time.Time
	// Guarded by heldSet.mu while held; stable once the op left the set.
	cancelled bool
	released  bool // to be written in the next round (ReleaseHeld)
	dups      []func(AppendResult, error)
}

func (o *appendOp) key() heldKey { return heldKey{user: o.env.To, id: o.env.ID} }

func (o *appendOp) waiting() bool { return o.held || o.dupOf }

func (o *appendOp) apply(s *Bolt) error {
	o.s, o.res, o.held, o.dupOf = s, AppendResult{}, false, false
	ik, err := s.identityKey(o.env.To)
	switch {
	case err == ErrNotFound:
		o.res.Status = UnknownUser
		return nil
	case err != nil:
		return err
	case o.wantKey != nil && !bytes.Equal(o.wantKey, ik):
		o.res.Status = KeyChanged
		return nil
	}
	if e, ok := s.knownEmpty(o.env.To, o.env.ID); ok {
		// No envelope stored, the id not in the index: not a stored
		// duplicate, no quota used on disk.
		return o.store(nil, metaRec{}, e.seq)
	}
	b, err := s.roundBox(o.env.To, true)
	if err != nil {
		return err
	}
	if _, v := b.lookup(o.env.ID[:]); v != nil {
		o.res.Status = Duplicate
		return nil
	}
	return o.store(b, b.meta, b.msgs.Sequence())
}

// store checks for a held duplicate and the quota, assigns the Seq, then
// either hands the envelope to a connected recipient (held) or writes it.
// Held envelopes count against the quota as if written. b is the mailbox
// in this round's transaction, nil when it was known empty (opened only
// when the envelope must be written); meta and seq are its quota use and
// bucket sequence.
func (o *appendOp) store(b *boxState, meta metaRec, seq uint64) error {
	s := o.s
	if wait, dup := s.held.duplicate(o.key(), o.done); dup {
		o.dupOf, o.res.Status = wait, Duplicate
		return nil
	}
	u := s.held.usage(o.env.To)
	if meta.Count+u.count+1 > s.opts.MailboxMaxMsgs || meta.Bytes+u.bytes+o.env.Size() > s.opts.MailboxMaxBytes {
		o.res.Status = MailboxFull
		return nil
	}
	o.env.Seq = s.nextSeq(seq, o.env.To)
	if o.push() {
		return nil
	}
	if b == nil {
		var err error
		if b, err = s.roundBox(o.env.To, true); err != nil {
			return err
		}
	}
	return o.put(b)
}

// push offers the envelope to its recipient's connection, holding it when
// taken. It is registered as held before the push so that an Ack racing
// the push finds it.
func (o *appendOp) push() bool {
	s := o.s
	if s.opts.Push == nil || s.round.final || s.round.wrote[o.env.To] {
		return false
	}
	s.held.hold(o, s.round.now)
	if s.opts.Push(&o.env) {
		s.round.pushed++
		return true
	}
	s.held.unhold(o)
	return false
}

// writeHeld writes an envelope that was held too long (no quota check: it
// passed it when held, and the recipient may already have it).
func (o *appendOp) writeHeld(s *Bolt) error {
	o.held, o.s = false, s
	b, err := s.roundBox(o.env.To, true)
	if err != nil {
		return err
	}
	return o.put(b)
}

// put writes the envelope under its Seq; later envelopes of this recipient
// in the same round are written too (never pushed ahead of it).
func (o *appendOp) put(b *boxState) error {
	seq := o.env.Seq
	o.s.forgetEmpty(o.env.To)
	if o.rec == nil && o.recErr == nil {
		o.rec, o.recErr = encodeEnvelope(&o.env)
	}
	if o.recErr != nil {
		return o.recErr
	}
	if err := b.msgs.Put(u64key(seq), o.rec); err != nil {
		return err
	}
	if b.msgs.Sequence() < seq {
		if err := b.msgs.SetSequence(seq); err != nil {
			return err
		}
	}
	if err := b.putRecent(o.env.ID[:], liveIndex(seq)); err != nil {
		return err
	}
	o.s.round.wrote[o.env.To], o.s.round.dirty = true, true
	o.s.round.written++
	o.res = AppendResult{Status: Stored, Seq: seq}
	b.meta = metaRec{Count: b.meta.Count + 1, Bytes: b.meta.Bytes + o.env.Size()}
	b.dirty = true
	return nil
}

// nextSeq assigns the recipient's next sequence number. Held envelopes take
// numbers without writing, so the commit goroutine keeps the counter.
// disk is the mailbox's bucket sequence.
func (s *Bolt) nextSeq(disk uint64, user string) uint64 {
	n := max(s.seqs[user], disk) + 1
	s.seqs[user] = n
	return n
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
	o.finishDuplicates(err)
}

// acked reports an envelope whose Ack cancelled its write.
func (o *appendOp) acked() {
	if o.done != nil {
		o.done(AppendResult{Status: Acked, Seq: o.env.Seq}, nil)
	}
	o.finishDuplicates(nil)
}

func (o *appendOp) finishDuplicates(err error) {
	for _, d := range o.dups {
		switch {
		case d == nil:
		case err != nil:
			d(AppendResult{}, err)
		default:
			d(AppendResult{Status: Duplicate}, nil)
		}
	}
	o.dups = nil
}

// Ack implements [Mailboxes].
// An Ack for a held envelope cancels its write and reports at once, on
// the calling goroutine.
func (s *Bolt) Ack(username string, id ID, done func(AckResult, error)) {
	if o := s.held.cancel(heldKey{user: username, id: id}, time.Now()); o != nil {
		o.acked()
		if done != nil {
			done(AckResult{Removed: true, SentAt: o.env.SentAt, Size: o.env.Size()}, nil)
		}
		return
	}
	s.submit(&ackOp{user: username, id: id, done: done})
}

type ackOp struct {
	user string
	id   ID
	done func(AckResult, error)
	res  AckResult
	s    *Bolt
}

func (o *ackOp) waiting() bool { return false }

func (o *ackOp) apply(s *Bolt) error {
	o.s, o.res = s, AckResult{}
	if _, ok := s.knownEmpty(o.user, o.id); ok {
		return nil // no such id stored
	}
	b, err := s.roundBox(o.user, false)
	if b == nil || err != nil {
		return err
	}
	in, raw := b.lookup(o.id[:])
	if raw == nil {
		return nil
	}
	idx, err := decodeIndex(raw)
	if err != nil || idx.Seq == 0 {
		return err
	}
	s.forgetEmpty(o.user)
	if idx, err = takeEnvelope(b.msgs, idx); err == errNoRecord {
		return nil // see takeEnvelope; the id stays a Duplicate
	} else if err != nil {
		return err
	}
	b.meta = metaRec{Count: max(b.meta.Count-1, 0), Bytes: max(b.meta.Bytes-idx.Size, 0)}
	b.dirty = true
	tomb, err := encode(indexRec{Until: idx.Until})
	if err != nil {
		return err
	}
	o.res = AckResult{Removed: true, SentAt: FromMillis(idx.SentAt), Size: idx.Size}
	s.round.dirty = true
	return b.putTomb(in, o.id[:], tomb)
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

// errNoRecord: a live index entry holding only its Seq names no envelope
// record. Nothing this version does leaves one (an envelope and its entry
// go in one transaction); a file run by an older relay after this one
// can (it ignores the recent index). The Ack then removes nothing rather
// than failing the whole round it is in.
var errNoRecord = errors.New("store: index entry without its envelope")

// takeEnvelope deletes the live entry idx's envelope record and returns
// idx with the envelope's size, send time and expiry (a live entry holds
// its Seq only; one written by an earlier version may hold them too, then
// they are used as they are). One cursor seek finds the record for both.
func takeEnvelope(msgs *bolt.Bucket, idx indexRec) (indexRec, error) {
	key := u64key(idx.Seq)
	c := msgs.Cursor()
	k, v := c.Seek(key)
	if !bytes.Equal(k, key) {
		k, v = nil, nil
	}
	if idx.SentAt == 0 {
		if k == nil {
			return idx, errNoRecord
		}
		rec, err := decodeEnvelope(v)
		if err != nil {
			return idx, err
		}
		idx.Size, idx.SentAt, idx.Until = int64(len(rec.Body)), rec.SentAt, rec.ExpiresAt
	}
	if k == nil {
		return idx, nil
	}
	return idx, c.Delete()
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
		box, msgs, _, _, err := mailbox(tx, username, false)
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
		SentAt: FromMillis(r.SentAt), ExpiresAt: FromMillis(r.ExpiresAt)}
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
