package store

import "encoding/binary"

// AppendEvent adds data to the event log and returns its cursor (1, 2, ...,
// never reused). The oldest events beyond the retention are dropped.
func (t *Tx) AppendEvent(data []byte) (uint64, error) {
	eb := t.b(bEvents)
	cur, err := eb.NextSequence()
	if err != nil {
		return 0, err
	}
	if err := eb.Put(u64(cur), data); err != nil {
		return 0, err
	}
	return cur, t.trimEvents(cur)
}

func (t *Tx) trimEvents(last uint64) error {
	if t.retention <= 0 || last <= uint64(t.retention) {
		return nil
	}
	limit := last - uint64(t.retention) // delete cursors <= limit
	c := t.b(bEvents).Cursor()
	for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= limit; k, _ = c.First() {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// EventsSince returns up to limit events with a cursor greater than since,
// oldest first.
func (t *Tx) EventsSince(since uint64, limit int) []Event {
	var out []Event
	c := t.b(bEvents).Cursor()
	for k, v := c.Seek(u64(since + 1)); k != nil && len(out) < limit; k, v = c.Next() {
		out = append(out, Event{Cursor: binary.BigEndian.Uint64(k), Data: clone(v)})
	}
	return out
}

// FirstCursor returns the oldest retained cursor (0 when the log is empty).
func (t *Tx) FirstCursor() uint64 {
	k, _ := t.b(bEvents).Cursor().First()
	if k == nil {
		return 0
	}
	return binary.BigEndian.Uint64(k)
}

// LastCursor returns the newest cursor ever assigned (0 when none).
func (t *Tx) LastCursor() uint64 { return t.b(bEvents).Sequence() }
