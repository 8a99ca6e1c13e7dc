package store

import (
	"bytes"
	"fmt"
)

// Message returns the message with id.
func (t *Tx) Message(id ID) (Message, bool, error) {
	var m Message
	ok, err := getJSON(t.b(bMessages), id[:], &m)
	return m, ok, err
}

// PutMessage stores m. A text message with Seq 0 is appended to its peer's
// history and gets the next sequence number (written back into m).
func (t *Tx) PutMessage(m *Message) error {
	if m.Kind == KindText && m.Seq == 0 {
		if err := t.appendHistory(m); err != nil {
			return err
		}
	}
	return putJSON(t.b(bMessages), m.ID[:], m)
}

// DeleteMessage removes a message record that is not part of history
// (internal receipts once sent).
func (t *Tx) DeleteMessage(id ID) error { return t.b(bMessages).Delete(id[:]) }

func (t *Tx) appendHistory(m *Message) error {
	if m.Peer == "" {
		return fmt.Errorf("store: message without peer")
	}
	hb, err := t.b(bHistory).CreateBucketIfNotExists([]byte(m.Peer))
	if err != nil {
		return fmt.Errorf("store: history: %w", err)
	}
	seq, err := hb.NextSequence()
	if err != nil {
		return fmt.Errorf("store: history: %w", err)
	}
	m.Seq = seq
	return hb.Put(u64(seq), m.ID[:])
}

// History returns up to limit messages with peer whose sequence number is
// greater than after, oldest first.
func (t *Tx) History(peer string, after uint64, limit int) ([]Message, error) {
	hb := t.b(bHistory).Bucket([]byte(peer))
	if hb == nil {
		return nil, nil
	}
	var out []Message
	c := hb.Cursor()
	for k, v := c.Seek(u64(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
		id, _ := IDFromBytes(v)
		m, ok, err := t.Message(id)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// LastHistory returns up to limit most recent messages with peer, oldest
// first.
func (t *Tx) LastHistory(peer string, limit int) ([]Message, error) {
	hb := t.b(bHistory).Bucket([]byte(peer))
	if hb == nil || limit <= 0 {
		return nil, nil
	}
	var ids []ID
	c := hb.Cursor()
	for k, v := c.Last(); k != nil && len(ids) < limit; k, v = c.Prev() {
		id, _ := IDFromBytes(v)
		ids = append(ids, id)
	}
	out := make([]Message, 0, len(ids))
	for i := len(ids) - 1; i >= 0; i-- {
		m, ok, err := t.Message(ids[i])
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// Enqueue puts m into the outbox (at the end) and stores it.
func (t *Tx) Enqueue(m *Message) error {
	ob := t.b(bOutbox)
	seq, err := ob.NextSequence()
	if err != nil {
		return fmt.Errorf("store: outbox: %w", err)
	}
	m.OutboxSeq = seq
	if err := ob.Put(append(u64(seq), m.ID[:]...), nil); err != nil {
		return err
	}
	return t.PutMessage(m)
}

// Dequeue removes m from the outbox and stores it.
func (t *Tx) Dequeue(m *Message) error {
	if m.OutboxSeq != 0 {
		if err := t.b(bOutbox).Delete(append(u64(m.OutboxSeq), m.ID[:]...)); err != nil {
			return err
		}
		m.OutboxSeq = 0
	}
	if m.Kind == KindReceipt {
		return t.DeleteMessage(m.ID)
	}
	return t.PutMessage(m)
}

// Outbox returns the ids in the outbox, oldest first, at most limit.
func (t *Tx) Outbox(limit int) []ID {
	var out []ID
	c := t.b(bOutbox).Cursor()
	for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
		id, _ := IDFromBytes(k[8:])
		out = append(out, id)
	}
	return out
}

// InOutbox reports whether id is queued.
func (t *Tx) InOutbox(id ID) bool {
	c := t.b(bOutbox).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if bytes.Equal(k[8:], id[:]) {
			return true
		}
	}
	return false
}
