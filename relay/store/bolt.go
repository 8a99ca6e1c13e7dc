package store

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/securep2p/securep2p/wire"
)

// Bucket layout of the bbolt file:
//
//	accounts/<username>            -> accountRec
//	prekeys/<username>/<id u32 BE> -> 33-byte one-time prekey
//	mail/<username>/meta           -> metaRec (count and bytes of live envelopes)
//	mail/<username>/m/<seq u64 BE> -> envelopeRec
//	mail/<username>/i/<id>         -> indexRec (live envelope or ack tombstone)
//	mail/<username>/j/<id>         -> indexRec, the recent part of the index (recent.go)
//
// A file written before the recent index existed opens and works as it is
// (upgrade in place). The reverse does not hold: a relay older than the
// recent index ignores j and so forgets up to recentMax ids per mailbox;
// do not downgrade a relay across this change.
var (
	bucketAccounts = []byte("accounts")
	bucketPrekeys  = []byte("prekeys")
	bucketMail     = []byte("mail")
	bucketMsgs     = []byte("m")
	bucketIndex    = []byte("i")
	bucketRecent   = []byte("j")
	keyMeta        = []byte("meta")
)

// Options tune a [Bolt] store. The zero value works.
type Options struct {
	MailboxMaxMsgs  int64                                     // envelopes per mailbox; default 10000
	MailboxMaxBytes int64                                     // body bytes per mailbox; default 64 MiB
	MaxPrekeys      int                                       // one-time prekeys per user; default 1000
	MaxBatch        int                                       // operations per group commit; default 1000
	OnCommit        func(d time.Duration, ops int, err error) // called after every group commit; default none
	LockTimeout     time.Duration                             // wait for the file lock; default 5s
	// Push, when set, offers each accepted envelope (Seq assigned) to a
	// connected recipient before it is written; see [Options.AckWait]. It runs
	// on the commit goroutine and must not block. Default none (every
	// envelope is written at once).
	Push func(e *Envelope) bool
	// AckWait is the shortest time an envelope Push took stays in memory
	// waiting for the recipient's Ack before it is written (an Ack in time
	// cancels the write: nothing touches the disk). The hold adapts to the
	// measured push-to-Ack time: 4 times its running mean, between AckWait
	// and MaxAckWait (ackwait.go). Default 100ms.
	AckWait time.Duration
	// MaxAckWait is the longest hold; raised to AckWait when below it.
	// Default 2s.
	MaxAckWait time.Duration
	// MaxHeld caps envelopes held in memory; beyond it they are written at
	// once. Default 65536.
	MaxHeld int
	// AckedMemory is how many ids acked while held are remembered so that a
	// re-send stays a Duplicate (they have no tombstone on disk): at least
	// the last AckedMemory/2, at most AckedMemory. Default 65536.
	AckedMemory int
}

func (o *Options) populate() {
	if o.MailboxMaxMsgs <= 0 {
		o.MailboxMaxMsgs = 10000
	}
	if o.MailboxMaxBytes <= 0 {
		o.MailboxMaxBytes = 64 << 20
	}
	if o.MaxPrekeys <= 0 {
		o.MaxPrekeys = 1000
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 1000
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = 5 * time.Second
	}
	if o.AckWait <= 0 {
		o.AckWait = 100 * time.Millisecond
	}
	if o.MaxAckWait <= 0 {
		o.MaxAckWait = 2 * time.Second
	}
	o.MaxAckWait = max(o.MaxAckWait, o.AckWait)
	if o.MaxHeld <= 0 {
		o.MaxHeld = 65536
	}
	if o.AckedMemory <= 0 {
		o.AckedMemory = 65536
	}
}

// Bolt is the embedded [Store] on one bbolt file.
type Bolt struct {
	db    *bolt.DB
	opts  Options
	ops   chan op
	done  chan struct{}
	wake  chan struct{} // a release for the commit goroutine (capacity 1)
	close sync.Once
	mu    sync.RWMutex // held for reading while submitting, for writing while closing
	shut  bool

	messages atomic.Int64
	bytes    atomic.Int64
	eager    atomic.Bool // appends encode their records (newAppendOp)

	held     heldSet             // envelopes pushed and awaiting their Ack
	round    roundInfo           // commit goroutine only
	seqs     map[string]uint64   // commit goroutine only: last Seq per mailbox
	acctGen  atomic.Uint64       // bumped by every account or key change
	keysGen  uint64              // commit goroutine only: acctGen of keys
	keys     map[string][]byte   // commit goroutine only: identity keys
	empty    map[string]emptyBox // commit goroutine only: mailboxes known empty (roundcache.go)
	emptyIDs int                 // commit goroutine only: tombstone ids listed in empty
	// recentMax is the size at which a recent index is merged (recent.go):
	// the recentMax constant; tests lower it before the first append.
	recentMax uint64
}

var _ Store = (*Bolt)(nil)

// Open opens (or creates, mode 0600) the store at path and starts its
// group-commit goroutine.
func Open(path string, opts Options) (*Bolt, error) {
	opts.populate()
	// The freelist is rebuilt on open instead of written by every commit
	// (bbolt's NoFreelistSync): commits write less; durability is unchanged.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout,
		NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &Bolt{db: db, opts: opts, ops: make(chan op, 4*opts.MaxBatch), done: make(chan struct{}), wake: make(chan struct{}, 1),
		seqs: map[string]uint64{}, keys: map[string][]byte{}, empty: map[string]emptyBox{},
		recentMax: recentMax}
	s.held.init(opts.AckedMemory, opts.AckWait, opts.MaxAckWait)
	if err := s.init(); err != nil {
		db.Close()
		return nil, err
	}
	go s.commitLoop()
	return s, nil
}

func (s *Bolt) init() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketAccounts, bucketPrekeys, bucketMail} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("store: create bucket: %w", err)
			}
		}
		return tx.Bucket(bucketMail).ForEachBucket(func(user []byte) error {
			m, err := decodeMeta(tx.Bucket(bucketMail).Bucket(user).Get(keyMeta))
			s.messages.Add(m.Count)
			s.bytes.Add(m.Bytes)
			return err
		})
	})
}

// Close drains queued commits, then closes the file. Idempotent.
func (s *Bolt) Close() error {
	var err error
	s.close.Do(func() {
		s.mu.Lock()
		s.shut = true
		close(s.ops)
		s.mu.Unlock()
		<-s.done
		err = s.db.Close()
	})
	return err
}

// CreateAccount implements [Accounts].
func (s *Bolt) CreateAccount(a Account, oneTime []wire.Prekey) error {
	if len(oneTime) > s.opts.MaxPrekeys {
		return ErrTooManyPrekeys
	}
	rec, err := encode(accountRec{PasswordHash: a.PasswordHash, IdentityKey: a.IdentityKey,
		SignedPrekey: a.SignedPrekey, CreatedAt: Millis(a.CreatedAt)})
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		s.acctGen.Add(1)
		accts := tx.Bucket(bucketAccounts)
		if accts.Get([]byte(a.Username)) != nil {
			return ErrExists
		}
		if err := accts.Put([]byte(a.Username), rec); err != nil {
			return err
		}
		_ = tx.Bucket(bucketPrekeys).DeleteBucket([]byte(a.Username))
		pk, err := tx.Bucket(bucketPrekeys).CreateBucket([]byte(a.Username))
		if err != nil {
			return err
		}
		return putPrekeys(pk, oneTime)
	})
}

// Account implements [Accounts].
func (s *Bolt) Account(username string) (Account, error) {
	var a Account
	err := s.db.View(func(tx *bolt.Tx) error {
		rec, err := getAccount(tx, username)
		a = Account{Username: username, PasswordHash: rec.PasswordHash, IdentityKey: rec.IdentityKey,
			SignedPrekey: rec.SignedPrekey, CreatedAt: FromMillis(rec.CreatedAt)}
		return err
	})
	return a, err
}

func getAccount(tx *bolt.Tx, username string) (accountRec, error) {
	b := tx.Bucket(bucketAccounts).Get([]byte(username))
	if b == nil {
		return accountRec{}, ErrNotFound
	}
	r, err := decodeAccount(b)
	if err == nil {
		r.PasswordHash = bytes.Clone(r.PasswordHash)
	}
	return r, err
}

func putPrekeys(b *bolt.Bucket, ps []wire.Prekey) error {
	for _, p := range ps {
		if err := b.Put(u32key(p.ID), p.Key); err != nil {
			return err
		}
	}
	return nil
}

func countKeys(b *bolt.Bucket) int {
	n := 0
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}

// UpdateKeys implements [Prekeys].
func (s *Bolt) UpdateKeys(username string, u KeyUpdate) (int, error) {
	remaining := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		s.acctGen.Add(1)
		rec, err := getAccount(tx, username)
		if err != nil {
			return err
		}
		pk, err := s.rebind(tx, username, &rec, u)
		if err != nil {
			return err
		}
		if err := putPrekeys(pk, u.OneTime); err != nil {
			return err
		}
		if remaining = countKeys(pk); remaining > s.opts.MaxPrekeys {
			return ErrTooManyPrekeys
		}
		b, err := encode(rec)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketAccounts).Put([]byte(username), b)
	})
	return remaining, err
}

// rebind applies the identity and signed-prekey parts of u to rec and returns
// the user's prekey bucket (emptied on an identity change).
func (s *Bolt) rebind(tx *bolt.Tx, username string, rec *accountRec, u KeyUpdate) (*bolt.Bucket, error) {
	name := []byte(username)
	root := tx.Bucket(bucketPrekeys)
	if u.IdentityKey != nil && !bytes.Equal(u.IdentityKey, rec.IdentityKey) {
		rec.IdentityKey = bytes.Clone(u.IdentityKey)
		if err := root.DeleteBucket(name); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
			return nil, err
		}
	}
	if u.SignedPrekey != nil {
		rec.SignedPrekey = *u.SignedPrekey
	}
	return root.CreateBucketIfNotExists(name)
}

// TakeBundle implements [Prekeys].
func (s *Bolt) TakeBundle(username string) (Bundle, error) {
	var out Bundle
	err := s.db.Update(func(tx *bolt.Tx) error {
		rec, err := getAccount(tx, username)
		if err != nil {
			return err
		}
		out = Bundle{IdentityKey: rec.IdentityKey, SignedPrekey: rec.SignedPrekey}
		pk, err := tx.Bucket(bucketPrekeys).CreateBucketIfNotExists([]byte(username))
		if err != nil {
			return err
		}
		c := pk.Cursor()
		if k, v := c.First(); k != nil {
			out.OneTime = &wire.Prekey{ID: beUint32(k), Key: bytes.Clone(v)}
			if err := c.Delete(); err != nil {
				return err
			}
		}
		out.Remaining = countKeys(pk)
		return nil
	})
	return out, err
}

// PrekeyCount implements [Prekeys].
func (s *Bolt) PrekeyCount(username string) (int, error) {
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketAccounts).Get([]byte(username)) == nil {
			return ErrNotFound
		}
		if pk := tx.Bucket(bucketPrekeys).Bucket([]byte(username)); pk != nil {
			n = countKeys(pk)
		}
		return nil
	})
	return n, err
}

func beUint32(k []byte) uint32 {
	if len(k) != 4 {
		return 0
	}
	return uint32(k[0])<<24 | uint32(k[1])<<16 | uint32(k[2])<<8 | uint32(k[3])
}

// Stats implements [Mailboxes].
func (s *Bolt) Stats() MailStats {
	return MailStats{Messages: s.messages.Load(), Bytes: s.bytes.Load()}
}
