package engine

import (
	"sync"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/store"
)

// SubBuffer is the number of live events a subscriber may fall behind
// before it is cut off with an overflow.
const SubBuffer = 1024

// hub fans committed events out to live subscribers without ever blocking:
// a subscriber whose buffer is full is marked overflowed and dropped.
type hub struct {
	mu   sync.Mutex
	subs map[*Sub]struct{}
}

// Sub is a live event subscription. Read C until Overflow is closed or you
// Close it.
type Sub struct {
	C        chan api.Event
	Overflow chan struct{} // closed when the subscriber fell behind and was dropped
	h        *hub
}

// Subscribe starts a live subscription. Events committed after this call
// arrive on C; older ones are read with EventsSince.
func (e *Engine) Subscribe() *Sub {
	s := &Sub{C: make(chan api.Event, SubBuffer), Overflow: make(chan struct{}), h: &e.hub}
	e.hub.mu.Lock()
	e.hub.subs[s] = struct{}{}
	e.hub.mu.Unlock()
	return s
}

// Close ends the subscription. Idempotent.
func (s *Sub) Close() {
	s.h.mu.Lock()
	delete(s.h.subs, s)
	s.h.mu.Unlock()
}

func (h *hub) publish(evs []api.Event) {
	if len(evs) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		for _, ev := range evs {
			select {
			case s.C <- ev:
				continue
			default:
			}
			close(s.Overflow)
			delete(h.subs, s)
			break
		}
	}
}

// EventsSince returns up to limit retained events after cursor, and the
// oldest retained cursor (to detect truncation) and the newest one.
func (e *Engine) EventsSince(since uint64, limit int) (evs []api.Event, first, last uint64, err error) {
	var raw []store.Event
	err = e.db.View(func(tx *store.Tx) error {
		raw = tx.EventsSince(since, limit)
		first, last = tx.FirstCursor(), tx.LastCursor()
		return nil
	})
	if err != nil {
		return nil, 0, 0, err
	}
	for _, r := range raw {
		ev, err := decodeEvent(r)
		if err != nil {
			return nil, 0, 0, err
		}
		evs = append(evs, ev)
	}
	return evs, first, last, nil
}
