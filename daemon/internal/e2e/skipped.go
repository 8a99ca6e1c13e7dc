package e2e

import "github.com/securep2p/securep2p/wire/secp"

// skipKey names a skipped message: the peer ratchet key and message number.
type skipKey struct {
	pub [secp.PublicKeySize]byte
	n   uint32
}

type skipEntry struct {
	key  skipKey
	seed [keySize]byte // message-key seed (chain output), expanded on use
}

// skippedStore keeps message-key seeds of messages not yet received, at most
// MaxSkippedKeys, evicting the oldest first. order is insertion order and may
// hold keys already removed (skipped lazily, compacted when it grows).
type skippedStore struct {
	m     map[skipKey][keySize]byte
	order []skipKey
}

func newSkippedStore() *skippedStore {
	return &skippedStore{m: map[skipKey][keySize]byte{}}
}

func (s *skippedStore) get(k skipKey) ([keySize]byte, bool) {
	v, ok := s.m[k]
	return v, ok
}

func (s *skippedStore) remove(k skipKey) {
	delete(s.m, k)
}

func (s *skippedStore) len() int { return len(s.m) }

// add inserts entries in order and evicts the oldest beyond the cap.
func (s *skippedStore) add(entries []skipEntry) {
	for _, e := range entries {
		s.m[e.key] = e.seed
		s.order = append(s.order, e.key)
	}
	for len(s.m) > MaxSkippedKeys {
		k := s.order[0]
		s.order = s.order[1:]
		delete(s.m, k)
	}
	if len(s.order) > 2*MaxSkippedKeys {
		s.order = s.live()
	}
}

// live returns the keys still held, oldest first.
func (s *skippedStore) live() []skipKey {
	out := make([]skipKey, 0, len(s.m))
	for _, k := range s.order {
		if _, ok := s.m[k]; ok {
			out = append(out, k)
		}
	}
	return out
}

func wipeEntries(es []skipEntry) {
	for i := range es {
		es[i].seed = [keySize]byte{}
	}
}

// skipChain advances ck from message number from to to, returning the
// seeds of the messages in between. The caller has bounded to-from.
func skipChain(m *macer, ck *[keySize]byte, pub secp.PublicKey, from, to uint32) []skipEntry {
	if to <= from {
		return nil
	}
	out := make([]skipEntry, 0, to-from)
	for n := from; n < to; n++ {
		seed, next := m.chainStep(ck)
		out = append(out, skipEntry{key: skipKey{pub: pub.Array(), n: n}, seed: seed})
		*ck = next
	}
	return out
}
