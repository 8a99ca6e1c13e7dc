package store

import (
	"encoding/binary"
	"time"
)

// Seen reports whether an incoming message id was already processed.
func (t *Tx) Seen(id ID) bool { return t.b(bSeen).Get(id[:]) != nil }

// MarkSeen records id as processed at time at.
func (t *Tx) MarkSeen(id ID, at time.Time) error {
	return t.b(bSeen).Put(id[:], u64(uint64(at.UnixMilli())))
}

// PruneSeen forgets ids recorded before cutoff and returns how many.
// Callers keep cutoff well beyond the relay's mailbox TTL so a redelivery
// is always recognised.
func (t *Tx) PruneSeen(cutoff time.Time) (int, error) {
	n := 0
	c := t.b(bSeen).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(v) == 8 && int64(binary.BigEndian.Uint64(v)) < cutoff.UnixMilli() {
			if err := c.Delete(); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}
