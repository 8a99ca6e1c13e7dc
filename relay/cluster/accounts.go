package cluster

import (
	"bytes"
	"errors"
	"slices"

	"github.com/securep2p/securep2p/relay/store"
	"github.com/securep2p/securep2p/wire"
)

// errStop ends an update without writing and without an error.
var errStop = errors.New("cluster: no change")

// CreateAccount implements [store.Accounts]. The account entry is created
// with compare-and-set (exactly one of concurrent creations on any nodes
// wins); the prekey pool is written after it, bound to the identity key.
func (n *Node) CreateAccount(a store.Account, oneTime []wire.Prekey) error {
	if !validUser(a.Username) {
		return store.ErrNotFound
	}
	if len(oneTime) > n.cfg.MaxPrekeys {
		return store.ErrTooManyPrekeys
	}
	rec, err := encode(accountRec{PasswordHash: a.PasswordHash, IdentityKey: a.IdentityKey,
		SignedPrekey: a.SignedPrekey, CreatedAt: store.Millis(a.CreatedAt)})
	if err != nil {
		return err
	}
	pool, err := encode(prekeysRec{IdentityKey: a.IdentityKey, Keys: mergePrekeys(nil, oneTime)})
	if err != nil {
		return err
	}
	_, conflict, err := n.put(n.accounts, accountKey(a.Username), rec, 0)
	switch {
	case err != nil:
		return err
	case conflict:
		return store.ErrExists
	}
	return n.update(n.accounts, prekeysKey(a.Username), func([]byte, bool) ([]byte, error) { return pool, nil })
}

// Account implements [store.Accounts].
func (n *Node) Account(username string) (store.Account, error) {
	rec, _, err := n.account(username)
	if err != nil {
		return store.Account{}, err
	}
	return store.Account{Username: username, PasswordHash: rec.PasswordHash, IdentityKey: rec.IdentityKey,
		SignedPrekey: rec.SignedPrekey, CreatedAt: store.FromMillis(rec.CreatedAt)}, nil
}

func (n *Node) account(username string) (accountRec, uint64, error) {
	if !validUser(username) {
		return accountRec{}, 0, store.ErrNotFound
	}
	b, rev, found, err := n.get(n.accounts, accountKey(username))
	switch {
	case err != nil:
		return accountRec{}, 0, err
	case !found:
		return accountRec{}, 0, store.ErrNotFound
	}
	rec, err := decodeAccount(b)
	return rec, rev, err
}

// UpdateKeys implements [store.Prekeys]. The prekey pool is checked against
// the cap first, then the account is rebound (compare-and-set), then the
// pool is rewritten for the account's identity key.
func (n *Node) UpdateKeys(username string, u store.KeyUpdate) (int, error) {
	for i := range casRetries {
		rec, rev, err := n.account(username)
		if err != nil {
			return 0, err
		}
		changed := u.IdentityKey != nil && !bytes.Equal(u.IdentityKey, rec.IdentityKey)
		if changed {
			rec.IdentityKey = bytes.Clone(u.IdentityKey)
		}
		if u.SignedPrekey != nil {
			rec.SignedPrekey = *u.SignedPrekey
		}
		if err := n.checkPoolCap(username, rec.IdentityKey, u.OneTime); err != nil {
			return 0, err
		}
		b, err := encode(rec)
		if err != nil {
			return 0, err
		}
		_, conflict, err := n.put(n.accounts, accountKey(username), b, rev)
		if err != nil {
			return 0, err
		}
		if !conflict {
			return n.addPrekeys(username, rec.IdentityKey, u.OneTime)
		}
		backoff(i)
	}
	return 0, errConflict
}

func (n *Node) checkPoolCap(username string, identity []byte, add []wire.Prekey) error {
	b, _, found, err := n.get(n.accounts, prekeysKey(username))
	if err != nil {
		return err
	}
	pool, err := poolFor(b, found, identity)
	if err != nil {
		return err
	}
	if len(mergePrekeys(pool.Keys, add)) > n.cfg.MaxPrekeys {
		return store.ErrTooManyPrekeys
	}
	return nil
}

// addPrekeys merges add into the pool bound to identity (a pool bound to
// another key is dropped first) and returns the pool size.
func (n *Node) addPrekeys(username string, identity []byte, add []wire.Prekey) (int, error) {
	remaining := 0
	err := n.update(n.accounts, prekeysKey(username), func(cur []byte, found bool) ([]byte, error) {
		pool, err := poolFor(cur, found, identity)
		if err != nil {
			return nil, err
		}
		pool.Keys = mergePrekeys(pool.Keys, add)
		if len(pool.Keys) > n.cfg.MaxPrekeys {
			return nil, store.ErrTooManyPrekeys
		}
		remaining = len(pool.Keys)
		return encode(pool)
	})
	return remaining, err
}

// poolFor decodes a stored pool; a missing pool, or one uploaded for
// another identity key, is an empty pool for identity.
func poolFor(b []byte, found bool, identity []byte) (prekeysRec, error) {
	empty := prekeysRec{IdentityKey: bytes.Clone(identity)}
	if !found {
		return empty, nil
	}
	pool, err := decodePrekeys(b)
	if err != nil {
		return prekeysRec{}, err
	}
	if !bytes.Equal(pool.IdentityKey, identity) {
		return empty, nil
	}
	return pool, nil
}

// mergePrekeys adds add to keys (an existing id is overwritten) and returns
// them sorted by id.
func mergePrekeys(keys, add []wire.Prekey) []wire.Prekey {
	byID := make(map[uint32][]byte, len(keys)+len(add))
	for _, p := range keys {
		byID[p.ID] = p.Key
	}
	for _, p := range add {
		byID[p.ID] = bytes.Clone(p.Key)
	}
	out := make([]wire.Prekey, 0, len(byID))
	for id, k := range byID {
		out = append(out, wire.Prekey{ID: id, Key: k})
	}
	slices.SortFunc(out, func(a, b wire.Prekey) int { return int(int64(a.ID) - int64(b.ID)) })
	return out
}

// TakeBundle implements [store.Prekeys]: the lowest one-time prekey is
// removed with compare-and-set, so concurrent fetches on any nodes never
// get the same key.
func (n *Node) TakeBundle(username string) (store.Bundle, error) {
	rec, _, err := n.account(username)
	if err != nil {
		return store.Bundle{}, err
	}
	out := store.Bundle{IdentityKey: rec.IdentityKey, SignedPrekey: rec.SignedPrekey}
	err = n.update(n.accounts, prekeysKey(username), func(cur []byte, found bool) ([]byte, error) {
		pool, err := poolFor(cur, found, rec.IdentityKey)
		if err != nil {
			return nil, err
		}
		out.OneTime, out.Remaining = nil, len(pool.Keys)
		if len(pool.Keys) == 0 {
			return nil, errStop
		}
		first := pool.Keys[0]
		out.OneTime, out.Remaining = &first, len(pool.Keys)-1
		pool.Keys = pool.Keys[1:]
		return encode(pool)
	})
	if err != nil && err != errStop {
		return store.Bundle{}, err
	}
	return out, nil
}

// PrekeyCount implements [store.Prekeys].
func (n *Node) PrekeyCount(username string) (int, error) {
	rec, _, err := n.account(username)
	if err != nil {
		return 0, err
	}
	b, _, found, err := n.get(n.accounts, prekeysKey(username))
	if err != nil {
		return 0, err
	}
	pool, err := poolFor(b, found, rec.IdentityKey)
	return len(pool.Keys), err
}
