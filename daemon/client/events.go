package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/securep2p/securep2p/daemon/api"
)

// Watcher reads the event stream of GET /v1/events. It is not safe for
// concurrent Next calls; Close may be called from any goroutine.
type Watcher struct {
	resp   *response
	br     *bufio.Reader
	cursor uint64
}

// Events opens the event stream. With p.Since set it resumes exactly after
// that cursor. The stream ends when ctx is cancelled or Close is called.
func (c *Client) Events(ctx context.Context, p api.EventsParams) (*Watcher, error) {
	req, err := buildRequest("GET /v1/events", p)
	if err != nil {
		return nil, err
	}
	req.accept = api.ContentTypeNDJSON
	resp, err := c.do(ctx, req)
	if err != nil {
		return nil, err
	}
	if resp.status != 200 {
		defer resp.Close()
		return nil, resp.decodeJSON(nil)
	}
	w := &Watcher{resp: resp, br: bufio.NewReaderSize(resp.body, 64<<10)}
	if p.Since != nil {
		w.cursor = *p.Since
	}
	return w, nil
}

// Next returns the next event. It returns io.EOF when the daemon ended the
// stream (after an overflow event, or on shutdown), and an *Error for a
// broken or malformed stream. Resume with Since = Cursor().
func (w *Watcher) Next() (api.Event, error) {
	line, err := readEventLine(w.br)
	if err != nil {
		if err == io.EOF {
			return api.Event{}, io.EOF
		}
		return api.Event{}, unreachable("event stream: "+err.Error(), err)
	}
	ev, err := DecodeEvent(line)
	if err != nil {
		return api.Event{}, unreachable("event stream: "+err.Error(), err)
	}
	if ev.Cursor <= w.cursor && w.cursor != 0 {
		return api.Event{}, unreachable(fmt.Sprintf("event stream: cursor %d after %d is not increasing", ev.Cursor, w.cursor), nil)
	}
	w.cursor = ev.Cursor
	if ev.Type == api.EventOverflow && ev.Overflow.Reason == api.OverflowSlowConsumer {
		w.cursor = ev.Overflow.Resume // the stream ends; resume from here
	}
	return ev, nil
}

// Cursor is the cursor of the last event returned (or the Since the stream
// was opened with; after a slow_consumer overflow, its Resume): pass it as
// Since to resume without loss.
func (w *Watcher) Cursor() uint64 { return w.cursor }

// Close ends the stream (idempotent, safe from any goroutine).
func (w *Watcher) Close() error { return w.resp.Close() }

// readEventLine returns the next non-empty line without its newline,
// refusing lines over api.MaxEventLineBytes.
func readEventLine(br *bufio.Reader) ([]byte, error) {
	for {
		var line []byte
		for {
			frag, err := br.ReadSlice('\n')
			line = append(line, frag...)
			if len(line) > api.MaxEventLineBytes+1 {
				return nil, errors.New("event line longer than the limit")
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF && len(line) > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			if err != nil {
				return nil, err
			}
			break
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) > 0 {
			return line, nil
		}
	}
}

// DecodeEvent parses one NDJSON event line. It requires a single JSON object
// of at most api.MaxEventLineBytes with a non-zero cursor and a type, and for
// the known types the matching payload. Unknown fields and event types are
// accepted (newer daemons may add them).
func DecodeEvent(line []byte) (api.Event, error) {
	var ev api.Event
	if len(line) > api.MaxEventLineBytes {
		return ev, errors.New("event line longer than the limit")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&ev); err != nil {
		return api.Event{}, fmt.Errorf("malformed event: %w", err)
	}
	if dec.More() || dec.InputOffset() != int64(len(bytes.TrimRight(line, " \t\r\n"))) {
		return api.Event{}, errors.New("malformed event: trailing data")
	}
	if ev.Cursor == 0 || ev.Type == "" {
		return api.Event{}, errors.New("malformed event: missing cursor or type")
	}
	if !payloadPresent(ev) {
		return api.Event{}, errors.New("malformed event: " + strconv.Quote(string(ev.Type)) + " without its payload")
	}
	return ev, nil
}

func payloadPresent(ev api.Event) bool {
	switch ev.Type {
	case api.EventMessage, api.EventStatus:
		return ev.Message != nil
	case api.EventKeyChange:
		return ev.KeyChange != nil
	case api.EventContact:
		return ev.Contact != nil
	case api.EventConnection:
		return ev.Connection != nil
	case api.EventAccount:
		return ev.Account != nil
	case api.EventOverflow:
		return ev.Overflow != nil
	}
	return true
}
