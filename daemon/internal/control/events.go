package control

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/engine"
)

// writeTimeout bounds one event write: a consumer that stops reading is
// cut off instead of holding a goroutine forever.
const writeTimeout = 10 * time.Second

// replayPage is how many stored events one read returns.
const replayPage = 256

// eventStream writes events in NDJSON or SSE form.
type eventStream struct {
	w    http.ResponseWriter
	rc   *http.ResponseController
	sse  bool
	last uint64 // cursor of the last event written
}

func (s *eventStream) write(ev api.Event) error {
	raw, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	_ = s.rc.SetWriteDeadline(time.Now().Add(writeTimeout))
	if s.sse {
		_, err = fmt.Fprintf(s.w, "id: %d\nevent: %s\ndata: %s\n\n", sseID(ev), ev.Type, raw)
	} else {
		_, err = s.w.Write(append(raw, '\n'))
	}
	if err == nil {
		err = s.rc.Flush()
	}
	if ev.Cursor > s.last {
		s.last = ev.Cursor
	}
	return err
}

// sseID is the SSE id of ev: its cursor, except for an overflow, whose id
// is the cursor to resume from. A browser's EventSource reconnects by
// itself with the last id as Last-Event-ID; with the overflow's own
// (newest) cursor it would skip every event it missed.
func sseID(ev api.Event) uint64 {
	if ev.Overflow != nil {
		return ev.Overflow.Resume
	}
	return ev.Cursor
}

// events serves GET /v1/events: replay after since, then live events.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	e := s.cfg.Engine
	sub := e.Subscribe() // before the replay, so nothing falls in between
	defer sub.Close()
	since, given, err := sinceParam(r)
	if err != nil {
		writeError(w, err)
		return
	}
	_, first, last, err := e.EventsSince(0, 0)
	if err != nil {
		writeError(w, err)
		return
	}
	if !given {
		since = last
	}
	if since > last {
		writeError(w, &api.Error{Code: api.CodeBadCursor, Message: fmt.Sprintf("cursor %d is newer than the newest event %d", since, last)})
		return
	}
	st := s.startStream(w, r)
	st.last = since
	if given && first > since+1 {
		// Cursor first-1 sorts after since and before the first retained
		// event; Resume is the cursor the consumer asked for.
		if st.write(overflow(api.OverflowTruncated, first-1, first, since)) != nil {
			return
		}
		st.last = since
	}
	if s.replay(st, e) != nil {
		return
	}
	s.live(r, st, sub, e)
}

func (s *Server) startStream(w http.ResponseWriter, r *http.Request) *eventStream {
	st := &eventStream{w: w, rc: http.NewResponseController(w),
		sse: strings.Contains(r.Header.Get("Accept"), api.ContentTypeSSE)}
	ct := api.ContentTypeNDJSON
	if st.sse {
		ct = api.ContentTypeSSE
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_ = st.rc.Flush()
	return st
}

func (s *Server) replay(st *eventStream, e *engine.Engine) error {
	for {
		evs, _, _, err := e.EventsSince(st.last, replayPage)
		if err != nil || len(evs) == 0 {
			return err
		}
		for _, ev := range evs {
			if err := st.write(ev); err != nil {
				return err
			}
		}
	}
}

func (s *Server) live(r *http.Request, st *eventStream, sub *engine.Sub, e *engine.Engine) {
	for {
		select {
		case ev := <-sub.C:
			if ev.Cursor <= st.last {
				continue
			}
			if st.write(ev) != nil {
				return
			}
		case <-sub.Overflow:
			_, first, last, _ := e.EventsSince(0, 0)
			// The stream ends here: Resume is the last cursor this consumer
			// received, so reconnecting with since=Resume loses nothing.
			_ = st.write(overflow(api.OverflowSlowConsumer, max(last, st.last+1), first, st.last))
			return
		case <-r.Context().Done():
			return
		case <-s.stop:
			return
		}
	}
}

func overflow(reason string, cursor, oldest, resume uint64) api.Event {
	return api.Event{Cursor: cursor, Type: api.EventOverflow, Time: time.Now().UTC(),
		Overflow: &api.Overflow{Reason: reason, Oldest: oldest, Resume: resume}}
}

// sinceParam reads ?since, else the SSE Last-Event-ID header.
func sinceParam(r *http.Request) (uint64, bool, error) {
	raw, ok := r.URL.Query().Get("since"), r.URL.Query().Has("since")
	if !ok {
		raw = r.Header.Get("Last-Event-ID")
		ok = raw != ""
	}
	if !ok {
		return 0, false, nil
	}
	n, err := strconv.ParseUint(raw, 10, 64)
	if err != nil {
		return 0, false, &api.Error{Code: api.CodeBadCursor, Message: "since must be a cursor (a non-negative integer)"}
	}
	return n, true, nil
}
