package faultproxy

import (
	"sync"
	"sync/atomic"
	"time"
)

// stream applies the faults of one direction of one flow. handle is called
// by one goroutine at a time (the reader of that direction); the hold timer
// and delayed writes run on timer goroutines, hence the mutex.
type stream struct {
	p     *Proxy
	dir   Direction
	write func([]byte)
	stats *dirStats

	mu     sync.Mutex // guards dec, held, timer, closed
	dec    *decider
	held   []byte
	timer  *time.Timer
	closed bool
}

func (p *Proxy) newStream(f *flow, dir Direction, write func([]byte)) *stream {
	return &stream{p: p, dir: dir, write: write, stats: &p.stats[dir], dec: newDecider(p.cfg.Seed, f.id, dir)}
}

// handle decides the fate of datagram b (which it owns) and carries it out.
func (s *stream) handle(b []byte) {
	s.stats.received.Add(1)
	f, black := s.p.current(s.dir)
	s.mu.Lock()
	defer s.mu.Unlock()
	dec := s.dec.decide(f, len(b))
	switch {
	case s.closed:
		return
	case black:
		s.stats.blackholed.Add(1)
		return
	case dec.Drop:
		s.stats.dropped.Add(1)
		return
	}
	if dec.FlipAt >= 0 {
		s.stats.flipped.Add(1)
		b = dec.apply(b)
	}
	if dec.Hold && s.held == nil && s.p.pend.take() {
		s.stats.reordered.Add(1)
		s.held = b
		s.timer = time.AfterFunc(s.p.cfg.HoldMax, s.releaseHeld)
		return
	}
	s.send(b, dec)
	s.flushHeldLocked(dec.Delay)
}

// send writes b (twice when duplicated) after the decision's delay.
func (s *stream) send(b []byte, dec Decision) {
	n := 1
	if dec.Duplicate {
		s.stats.duplicated.Add(1)
		n = 2
	}
	for range n {
		s.sendAfter(b, dec.Delay)
	}
}

func (s *stream) sendAfter(b []byte, d time.Duration) {
	if d <= 0 {
		s.stats.forwarded.Add(1)
		s.write(b)
		return
	}
	if !s.p.pend.take() {
		s.stats.overflow.Add(1)
		return
	}
	s.stats.delayed.Add(1)
	time.AfterFunc(d, func() {
		defer s.p.pend.give()
		s.stats.forwarded.Add(1)
		s.write(b)
	})
}

// flushHeldLocked sends the held datagram (after the one that overtook it).
func (s *stream) flushHeldLocked(d time.Duration) {
	if s.held == nil {
		return
	}
	b := s.held
	s.held = nil
	s.timer.Stop()
	s.p.pend.give()
	s.sendAfter(b, d)
}

// releaseHeld sends a held datagram no successor came for within HoldMax.
func (s *stream) releaseHeld() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.flushHeldLocked(0)
	}
}

func (s *stream) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.held != nil {
		s.held = nil
		s.timer.Stop()
		s.p.pend.give()
	}
}

// pending bounds the datagrams waiting on timers.
type pending struct {
	n, max int64
	mu     sync.Mutex
}

func (p *pending) take() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n >= p.max {
		return false
	}
	p.n++
	return true
}

func (p *pending) give() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n--
}

// dirStats counts what happened to one direction's datagrams.
type dirStats struct {
	received, forwarded, dropped, blackholed, duplicated, reordered, flipped, delayed, overflow atomic.Uint64
}

// DirStats is a snapshot of one direction's counters. Forwarded counts
// datagrams written (a duplicate counts twice; a delayed one once written).
type DirStats struct {
	Received, Forwarded, Dropped, Blackholed, Duplicated, Reordered, Flipped, Delayed, Overflow uint64
}

// Stats is a snapshot of the proxy's counters.
type Stats struct {
	Up, Down DirStats
	Flows    int // open flows
}

// Stats returns the counters so far.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	flows := len(p.flows)
	p.mu.Unlock()
	return Stats{Up: p.stats[Up].snapshot(), Down: p.stats[Down].snapshot(), Flows: flows}
}

func (d *dirStats) snapshot() DirStats {
	return DirStats{d.received.Load(), d.forwarded.Load(), d.dropped.Load(), d.blackholed.Load(),
		d.duplicated.Load(), d.reordered.Load(), d.flipped.Load(), d.delayed.Load(), d.overflow.Load()}
}
