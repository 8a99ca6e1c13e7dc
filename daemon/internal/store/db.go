package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bucket names.
var (
	bMeta     = []byte("meta")
	bContacts = []byte("contacts")
	bSessions = []byte("sessions")
	bMessages = []byte("messages")
	bHistory  = []byte("history")
	bOutbox   = []byte("outbox")
	bSeen     = []byte("seen")
	bEvents   = []byte("events")
)

var allBuckets = [][]byte{bMeta, bContacts, bSessions, bMessages, bHistory, bOutbox, bSeen, bEvents}

// DefaultEventRetention is the number of events kept when
// DB.EventRetention is zero.
const DefaultEventRetention = 10000

// ErrNotFound is returned for a missing record.
var ErrNotFound = errors.New("store: not found")

// DB is the daemon's bbolt store.
type DB struct {
	db *bolt.DB
	// EventRetention is the number of events kept (default
	// DefaultEventRetention). Set it before the first Update.
	EventRetention int
}

// Open opens (creating 0600 if needed) the store at path. The parent
// directory must exist. A second process opening the same file waits up to
// one second and then fails.
//
// Every commit is still fsynced; only the freelist is not written
// (NoFreelistSync): it is rebuilt by scanning the file on open, which
// saves writing its pages on every commit.
func Open(path string) (*DB, error) {
	db, err := bolt.Open(filepath.Clean(path), 0o600, &bolt.Options{Timeout: time.Second, NoFreelistSync: true})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: chmod: %w", err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: init: %w", err)
	}
	return &DB{db: db}, nil
}

// Close closes the file. It waits for running transactions.
func (d *DB) Close() error { return d.db.Close() }

// Update runs fn in one read-write transaction, committed (fsync) when fn
// returns nil.
func (d *DB) Update(fn func(*Tx) error) error {
	return d.db.Update(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx, retention: d.retention()}) })
}

// View runs fn in a read-only transaction.
func (d *DB) View(fn func(*Tx) error) error {
	return d.db.View(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx}) })
}

func (d *DB) retention() int {
	if d.EventRetention > 0 {
		return d.EventRetention
	}
	return DefaultEventRetention
}

// Tx is one transaction. Its methods must not be used after fn returns.
type Tx struct {
	tx        *bolt.Tx
	retention int
}

func (t *Tx) b(name []byte) *bolt.Bucket { return t.tx.Bucket(name) }

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	raw := b.Get(key)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("store: corrupt record %q: %w", key, err)
	}
	return true, nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: encode: %w", err)
	}
	return b.Put(key, raw)
}
