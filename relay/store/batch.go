package store

import (
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// op is one queued write. apply runs inside the group transaction and
// records its own result; finish reports it after the commit (err is the
// commit's error, nil when durable). An op that apply left waiting (a held
// envelope, or a duplicate of one) reports later instead.
type op interface {
	apply(s *Bolt) error
	finish(err error)
	waiting() bool
}

// roundInfo is the state of one group-commit round (commit goroutine only).
type roundInfo struct {
	now     time.Time
	wrote   map[string]bool // recipients with an envelope written this round
	dirty   bool            // something was written: commit, else roll back
	written int             // envelopes written in this round (noteRound)
	pushed  int             // envelopes pushed (held) in this round (noteRound)
	final   bool            // closing: hold nothing
	due     []*appendOp
	boxes   map[string]*boxState // mailboxes touched in this round
	tx      *bolt.Tx             // the round's write transaction; nil until needed (roundTx)
	txs     atomic.Uint64        // write transactions begun by rounds (tests)
}

// submit queues o for the commit goroutine, or fails it when closed.
func (s *Bolt) submit(o op) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.shut {
		o.finish(ErrClosed)
		return
	}
	s.ops <- o
}

// commitLoop is the group committer. Each round takes every operation
// already queued (up to MaxBatch) and the held envelopes now due, applies
// them in one write transaction (held ones first: they are older; it is
// begun only when an operation needs the file, see runRound) and commits
// it (bbolt fsyncs on commit) when anything was written, then
// reports each result in order. While one commit is fsyncing, the next
// batch accumulates. Closing writes every held envelope.
func (s *Bolt) commitLoop() {
	defer close(s.done)
	batch := make([]op, 0, s.opts.MaxBatch)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	s.round.wrote = map[string]bool{}
	s.round.boxes = map[string]*boxState{}
	for {
		var open bool
		batch, open = s.collect(batch[:0], timer)
		s.round.now, s.round.final = time.Now(), !open
		s.round.due = s.held.due(s.round.now, s.opts.MaxHeld, !open, s.round.due[:0])
		if len(batch)+len(s.round.due) > 0 {
			s.commit(s.round.due, batch)
		}
		if !open {
			return
		}
	}
}

// collect waits for the first operation, the next held envelope's due
// time or a release (ReleaseHeld), then takes what else is queued. It reports false once closed.
func (s *Bolt) collect(batch []op, timer *time.Timer) ([]op, bool) {
	var due <-chan time.Time
	if d, ok := s.held.wait(time.Now()); ok {
		timer.Reset(d)
		due = timer.C
		defer timer.Stop()
	}
	select {
	case o, ok := <-s.ops:
		if !ok {
			return batch, false
		}
		batch = append(batch, o)
	case <-due:
	case <-s.wake:
	}
	return s.drain(batch)
}

func (s *Bolt) drain(batch []op) ([]op, bool) {
	for len(batch) < s.opts.MaxBatch {
		select {
		case o, ok := <-s.ops:
			if !ok {
				return batch, false
			}
			batch = append(batch, o)
		default:
			return batch, true
		}
	}
	return batch, true
}

func (s *Bolt) commit(due []*appendOp, batch []op) {
	start := time.Now()
	clear(s.round.wrote)
	clear(s.round.boxes)
	s.round.dirty, s.round.written, s.round.pushed = false, 0, 0
	err := s.runRound(due, batch)
	s.noteRound()
	if s.opts.OnCommit != nil && s.round.dirty {
		s.opts.OnCommit(time.Since(start), len(due)+len(batch), err)
	}
	for _, o := range due {
		o.finish(err)
	}
	for _, o := range batch {
		if !o.waiting() {
			o.finish(err)
		}
	}
}

// noteRound decides, from a round that wrote or pushed envelopes, whether
// appends encode their records before they are queued (newAppendOp): when
// it wrote more than it pushed (recipients offline), the next ones will
// most likely be written too.
func (s *Bolt) noteRound() {
	if w, p := s.round.written, s.round.pushed; w+p > 0 {
		s.eager.Store(w > p)
	}
}

// runRound applies one round. Its write transaction is opened only when an
// operation needs the file (roundTx): a round answered from memory (every
// envelope pushed to a mailbox known to be empty, see roundcache.go) opens
// none. The transaction is committed only when something was written (a
// round of held envelopes and rejections touches no disk).
func (s *Bolt) runRound(due []*appendOp, batch []op) error {
	err := s.applyRound(due, batch)
	tx := s.round.tx
	s.round.tx = nil
	switch {
	case tx == nil:
		return err
	case err != nil:
		_ = tx.Rollback()
		return err
	case !s.round.dirty:
		return tx.Rollback()
	}
	if err := s.flushBoxes(); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (s *Bolt) applyRound(due []*appendOp, batch []op) error {
	for _, o := range due {
		if err := o.writeHeld(s); err != nil {
			return err
		}
	}
	for _, o := range batch {
		if err := o.apply(s); err != nil {
			return err
		}
	}
	return nil
}

// roundTx returns the round's write transaction, beginning it on first use.
func (s *Bolt) roundTx() (*bolt.Tx, error) {
	if s.round.tx == nil {
		tx, err := s.db.Begin(true)
		if err != nil {
			return nil, err
		}
		s.round.tx = tx
		s.round.txs.Add(1)
	}
	return s.round.tx, nil
}
