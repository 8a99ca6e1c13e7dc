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
//     changed in the round are written once before it commits.

// boxState is one mailbox within a round.
type boxState struct {
	box, msgs, index *bolt.Bucket
	meta             metaRec
	dirty            bool // meta changed: written at the end of the round
}

// roundBox returns user's mailbox in this round's transaction (nil when it
// does not exist and create is false).
func (s *Bolt) roundBox(tx *bolt.Tx, user string, create bool) (*boxState, error) {
	if b := s.round.boxes[user]; b != nil {
		return b, nil
	}
	box, msgs, index, err := mailbox(tx, user, create)
	if box == nil || err != nil {
		return nil, err
	}
	meta, err := decodeMeta(box.Get(keyMeta))
	if err != nil {
		return nil, err
	}
	// Envelopes are appended in Seq order: fill pages instead of splitting
	// them half-full.
	msgs.FillPercent = 0.9
	b := &boxState{box: box, msgs: msgs, index: index, meta: meta}
	s.round.boxes[user] = b
	return b, nil
}

// flushBoxes writes the metas changed in this round.
func (s *Bolt) flushBoxes() error {
	for _, b := range s.round.boxes {
		if b.dirty {
			if err := putMeta(b.box, b.meta); err != nil {
				return err
			}
		}
	}
	return nil
}

// identityKey returns the bound identity key of user (ErrNotFound when no
// such account), from the cache when still valid.
func (s *Bolt) identityKey(tx *bolt.Tx, user string) ([]byte, error) {
	if g := s.acctGen.Load(); g != s.keysGen {
		clear(s.keys)
		s.keysGen = g
	}
	if k, ok := s.keys[user]; ok {
		return k, nil
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
