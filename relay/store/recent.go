package store

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// The id index in two levels.
//
// Ids are random, so an append into one large index bucket dirties a
// random leaf page of it, which the commit must copy, re-spill and write:
// about one 4 KiB page per append once a mailbox holds tens of thousands
// of envelopes (and the same again for each Ack's tombstone). Instead,
// appends and Acks put their entries into a small "recent" index
// (mail/<username>/j), whose few pages a round dirties together; when it
// has taken recentMax entries, the round that reached it moves them all
// (in key order) into the main index (mail/<username>/i) and empties it.
// A merge dirties each main index page at most once for recentMax
// entries.
//
// The recent index shadows the main one: an id's entry is its entry in
// the recent index when there is one, else its entry in the main index.
// An append adds an id only when it has no entry. An Ack of an envelope
// whose entry is in the main index writes its tombstone in the recent
// index (the main index keeps the live entry, shadowed, until a merge
// overwrites it); Expire deletes an expired envelope's id from both and,
// with an expired tombstone of the recent index, the entry it shadows.
// Both are changed only inside one write transaction, so a crash leaves
// what the last commit wrote. The recent bucket's sequence counts the
// entries put into it since it was last emptied (Expire's deletions are
// not subtracted: a merge may come early). Files written before the
// recent index existed have none; it is created when first needed.

// recentMax is the number of entries at which the recent index is merged
// into the main one.
const recentMax = 8192

// lookup returns id's index entry, nil when it has none, and the bucket
// holding it (the recent index shadows the main one).
func (b *boxState) lookup(id []byte) (*bolt.Bucket, []byte) {
	if b.recent != nil {
		if v := b.recent.Get(id); v != nil {
			return b.recent, v
		}
	}
	if v := b.index.Get(id); v != nil {
		return b.index, v
	}
	return nil, nil
}

// putRecent adds an entry to the recent index (an id it did not hold),
// creating the index in a file written before it existed.
func (b *boxState) putRecent(id, v []byte) error {
	if b.recent == nil {
		r, err := b.box.CreateBucketIfNotExists(bucketRecent)
		if err != nil {
			return err
		}
		b.recent, b.recentN = r, r.Sequence()
	}
	b.recentN++
	return b.recent.Put(id, v)
}

// putTomb writes the tombstone of an acked id whose live entry lookup
// found in bucket in: it replaces an entry of the recent index, and
// shadows one of the main index.
func (b *boxState) putTomb(in *bolt.Bucket, id, tomb []byte) error {
	if in == b.recent {
		return in.Put(id, tomb)
	}
	return b.putRecent(id, tomb)
}

// flushRecent runs before the round commits: it merges the recent index
// into the main one when it is full, else records its count.
func (b *boxState) flushRecent(max uint64) error {
	switch {
	case b.recent == nil || b.recentN == b.recent.Sequence():
		return nil
	case b.recentN < max:
		return b.recent.SetSequence(b.recentN)
	}
	c := b.recent.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if err := b.index.Put(k, bytes.Clone(v)); err != nil {
			return err
		}
	}
	if err := b.box.DeleteBucket(bucketRecent); err != nil {
		return err
	}
	r, err := b.box.CreateBucket(bucketRecent)
	b.recent, b.recentN = r, 0
	return err
}

// forEachIndex calls fn for every entry of both index buckets of box
// (either may be nil) until fn returns false. An id shadowed in the main
// index comes twice.
func forEachIndex(box *bolt.Bucket, fn func(k, v []byte) bool) {
	for _, name := range [][]byte{bucketRecent, bucketIndex} {
		idx := box.Bucket(name)
		if idx == nil {
			continue
		}
		c := idx.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if !fn(k, v) {
				return
			}
		}
	}
}
