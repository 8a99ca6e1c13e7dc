package store

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// Caches of the commit goroutine, so that a round of many operations on
// few mailboxes decodes each account and mailbox meta record once:
//
//   - identity keys of accounts, valid across rounds until an account is
//     created or its keys change (acctGen, bumped inside those write
//     transactions, which bbolt serialises with the rounds);
//   - per round, the buckets and quota meta of each mailbox touched; metas
//     changed in the round are written once before it commits;
//   - mailboxes known to be empty (no envelope; in the index at most a few
//     tombstones, all listed), valid across rounds. Only the commit
//     goroutine adds to a mailbox, and every such write (put, an Ack's
//     tombstone) forgets the fact first; other writers (Expire) only
//     delete. An append of an id not listed to a mailbox known to be empty
//     needs no lookup in the file: the id cannot be stored, the quota use
//     is what is held, the Seq follows the remembered sequence. When it is
//     pushed, the round opens no transaction at all (online path). The
//     facts live in memory only: after a restart every mailbox is looked
//     up again.

// boxState is one mailbox within a round.
type boxState struct {
	box, msgs, index *bolt.Bucket
	recent           *bolt.Bucket // nil in a file written before it existed (recent.go)
	recentN          uint64       // entries put into recent since it was emptied
	meta             metaRec
	dirty            bool // meta changed: written at the end of the round
}

// roundBox returns user's mailbox in this round's transaction (nil when it
// does not exist and create is false).
func (s *Bolt) roundBox(user string, create bool) (*boxState, error) {
	if b := s.round.boxes[user]; b != nil {
		return b, nil
	}
	tx, err := s.roundTx()
	if err != nil {
		return nil, err
	}
	box, msgs, index, recent, err := mailbox(tx, user, create)
	if box == nil || err != nil {
		if err == nil {
			s.setEmpty(user, emptyBox{})
		}
		return nil, err
	}
	meta, err := decodeMeta(box.Get(keyMeta))
	if err != nil {
		return nil, err
	}
	// Envelopes are appended in Seq order: fill pages instead of splitting
	// them half-full.
	msgs.FillPercent = 0.9
	b := &boxState{box: box, msgs: msgs, index: index, recent: recent, meta: meta}
	if recent != nil {
		b.recentN = recent.Sequence()
	}
	s.round.boxes[user] = b
	s.learnEmpty(user, b)
	return b, nil
}

// flushBoxes writes the metas changed in this round and merges full
// recent indexes (recent.go).
func (s *Bolt) flushBoxes() error {
	for _, b := range s.round.boxes {
		if !b.dirty {
			continue
		}
		if err := putMeta(b.box, b.meta); err != nil {
			return err
		}
		if err := b.flushRecent(s.recentMax); err != nil {
			return err
		}
	}
	return nil
}

// identityKey returns the bound identity key of user (ErrNotFound when no
// such account), from the cache when still valid.
func (s *Bolt) identityKey(user string) ([]byte, error) {
	if g := s.acctGen.Load(); g != s.keysGen {
		clear(s.keys)
		s.keysGen = g
	}
	if k, ok := s.keys[user]; ok {
		return k, nil
	}
	tx, err := s.roundTx()
	if err != nil {
		return nil, err
	}
	acct, err := getAccount(tx, user)
	if err != nil {
		return nil, err
	}
	if len(s.keys) >= maxCachedKeys {
		clear(s.keys)
	}
	s.keys[user] = bytes.Clone(acct.IdentityKey)
	return s.keys[user], nil
}

// maxCachedKeys bounds the identity-key cache (33 bytes and a name each).
const maxCachedKeys = 1 << 16

// emptyBox is a mailbox known to hold no envelope. Its index then holds
// only tombstones (acked ids), at most maxTombs of them: all are listed.
type emptyBox struct {
	seq   uint64 // its envelopes' bucket sequence (the last Seq written)
	tombs []ID   // every id in its index when learned (Expire may have removed some since)
}

// maxTombs is the most index entries a mailbox known empty may have; a
// mailbox with more is looked up in the file. maxTombIDs bounds them all.
const (
	maxTombs   = 64
	maxTombIDs = 1 << 17
)

// knownEmpty reports whether user's mailbox is known to hold no envelope
// and id is not in its index: then the file need not be looked at. Its
// sequence is returned. An id that is listed is looked up in the file
// (Expire may have removed its tombstone).
func (s *Bolt) knownEmpty(user string, id ID) (emptyBox, bool) {
	e, ok := s.empty[user]
	if !ok {
		return e, false
	}
	for i := range e.tombs {
		if e.tombs[i] == id {
			return e, false
		}
	}
	return e, true
}

// learnEmpty remembers b as empty when it holds no envelope and at most
// maxTombs index entries (tombstones, in either part of the index: see
// recent.go), which it lists. It runs when the round first opens b, before
// the round adds anything to it. A round never removes an id from the
// index (an Ack gives it a tombstone; a merge moves entries from the
// recent index to the main one), so what held when it was opened held
// before the round too, also when the round is rolled back.
func (s *Bolt) learnEmpty(user string, b *boxState) {
	if b.meta != (metaRec{}) {
		return
	}
	var tombs []ID
	ok := true
	forEachIndex(b.box, func(k, _ []byte) bool {
		ok = len(tombs) < maxTombs && len(k) == len(ID{})
		if ok {
			tombs = append(tombs, ID(k))
		}
		return ok
	})
	if !ok {
		return
	}
	s.setEmpty(user, emptyBox{seq: b.msgs.Sequence(), tombs: tombs})
}

func (s *Bolt) setEmpty(user string, e emptyBox) {
	s.forgetEmpty(user)
	if len(s.empty) >= maxCachedKeys || s.emptyIDs+len(e.tombs) > maxTombIDs {
		clear(s.empty)
		s.emptyIDs = 0
	}
	s.empty[user] = e
	s.emptyIDs += len(e.tombs)
}

// forgetEmpty drops the fact before anything is added to user's mailbox.
func (s *Bolt) forgetEmpty(user string) {
	if e, ok := s.empty[user]; ok {
		s.emptyIDs -= len(e.tombs)
		delete(s.empty, user)
	}
}
