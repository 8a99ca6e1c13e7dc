package store

import (
	"time"

	bolt "go.etcd.io/bbolt"
)

// op is one queued write. apply runs inside the group transaction and
// records its own result; finish reports it after the commit (err is the
// commit's error, nil when durable).
type op interface {
	apply(tx *bolt.Tx, s *Bolt) error
	finish(err error)
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

// commitLoop is the group committer: it takes every operation already
// queued (up to MaxBatch), applies them in order in one write transaction,
// commits it (bbolt fsyncs on commit), then reports each result in order.
// While one commit is fsyncing, the next batch accumulates.
func (s *Bolt) commitLoop() {
	defer close(s.done)
	batch := make([]op, 0, s.opts.MaxBatch)
	for first := range s.ops {
		batch = append(batch[:0], first)
		batch = s.drain(batch)
		s.commit(batch)
	}
}

func (s *Bolt) drain(batch []op) []op {
	for len(batch) < s.opts.MaxBatch {
		select {
		case o, ok := <-s.ops:
			if !ok {
				return batch
			}
			batch = append(batch, o)
		default:
			return batch
		}
	}
	return batch
}

func (s *Bolt) commit(batch []op) {
	start := time.Now()
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, o := range batch {
			if err := o.apply(tx, s); err != nil {
				return err
			}
		}
		return nil
	})
	if s.opts.OnCommit != nil {
		s.opts.OnCommit(time.Since(start), len(batch), err)
	}
	for _, o := range batch {
		o.finish(err)
	}
}
