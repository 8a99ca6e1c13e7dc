package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/securep2p/securep2p/daemon/api"
)

func msgEvent(cursor uint64, text string) api.Event {
	return api.Event{Cursor: cursor, Type: api.EventMessage, Time: time.Date(2026, 11, 25, 14, 3, 0, 0, time.UTC),
		Message: &api.Message{ID: fmt.Sprintf("%032x", cursor), Seq: cursor, Direction: api.DirectionIn, Peer: "alice", Text: text, Status: api.StatusDelivered}}
}

// eventLog serves GET /v1/events from a fixed log: every event after since,
// flushed one by one, then the stream ends. It records each since it saw.
type eventLog struct {
	events []api.Event
	sinces []string
}

func (l *eventLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	since := r.URL.Query().Get("since")
	l.sinces = append(l.sinces, since)
	after, _ := strconv.ParseUint(since, 10, 64)
	w.Header().Set("Content-Type", api.ContentTypeNDJSON)
	for _, ev := range l.events {
		if ev.Cursor > after {
			json.NewEncoder(w).Encode(ev)
			w.(http.Flusher).Flush()
		}
	}
}

func TestEventsResumeSince(t *testing.T) {
	log := &eventLog{}
	for i := uint64(1); i <= 5; i++ {
		log.events = append(log.events, msgEvent(i*10, "m"+strconv.FormatUint(i, 10)))
	}
	c := &Client{Socket: serve(t, log)}
	zero := uint64(0)
	w, err := c.Events(context.Background(), api.EventsParams{Since: &zero})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := w.Next(); err != nil {
			t.Fatal(err)
		}
	}
	last := w.Cursor()
	w.Close()
	if last != 30 {
		t.Fatalf("cursor after three events = %d, want 30", last)
	}
	w, err = c.Events(context.Background(), api.EventsParams{Since: &last})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var texts []string
	for {
		ev, err := w.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, ev.Message.Text)
	}
	if strings.Join(texts, ",") != "m4,m5" {
		t.Errorf("resumed events %v, want m4,m5", texts)
	}
	if strings.Join(log.sinces, ",") != "0,30" {
		t.Errorf("since sent %v, want 0,30", log.sinces)
	}
}

func TestEventsNoSinceOmitsQuery(t *testing.T) {
	log := &eventLog{}
	w, err := (&Client{Socket: serve(t, log)}).Events(context.Background(), api.EventsParams{})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if len(log.sinces) != 1 || log.sinces[0] != "" {
		t.Errorf("since sent %q, want none", log.sinces)
	}
}

func TestEventsLive(t *testing.T) {
	next := make(chan api.Event)
	sock := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", api.ContentTypeNDJSON)
		w.(http.Flusher).Flush()
		for {
			select {
			case ev := <-next:
				json.NewEncoder(w).Encode(ev)
				w.(http.Flusher).Flush()
			case <-r.Context().Done():
				return
			}
		}
	}))
	w, err := (&Client{Socket: sock}).Events(context.Background(), api.EventsParams{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for i := uint64(1); i <= 3; i++ {
		go func() { next <- msgEvent(i, "live") }()
		ev, err := w.Next()
		if err != nil || ev.Cursor != i {
			t.Fatalf("event %d: got %+v, %v", i, ev, err)
		}
	}
}

func TestEventsCloseUnblocksNext(t *testing.T) {
	sock := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	w, err := (&Client{Socket: sock}).Events(context.Background(), api.EventsParams{})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { _, err := w.Next(); errc <- err }()
	w.Close()
	if err := <-errc; err == nil {
		t.Fatal("Next after Close returned no error")
	}
}

func TestEventsContextCancelUnblocksNext(t *testing.T) {
	sock := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	ctx, cancel := context.WithCancel(context.Background())
	w, err := (&Client{Socket: sock}).Events(ctx, api.EventsParams{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	errc := make(chan error, 1)
	go func() { _, err := w.Next(); errc <- err }()
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("Next after cancel returned no error")
	}
}

func TestEventsErrorResponse(t *testing.T) {
	sock := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, api.CodeBadCursor, "cursor 99 was never issued")
	}))
	big := uint64(99)
	_, err := (&Client{Socket: sock}).Events(context.Background(), api.EventsParams{Since: &big})
	if CodeOf(err) != api.CodeBadCursor || ExitCode(err) != api.ExitUsage {
		t.Fatalf("got %v", err)
	}
}

func streamOf(t *testing.T, body string) *Watcher {
	t.Helper()
	sock := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, body)
	}))
	w, err := (&Client{Socket: sock}).Events(context.Background(), api.EventsParams{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func TestEventsCursorNotIncreasing(t *testing.T) {
	w := streamOf(t, `{"cursor":5,"type":"account","account":{"username":"a","logged_in":true}}`+"\n"+
		`{"cursor":5,"type":"account","account":{"username":"a","logged_in":false}}`+"\n")
	if _, err := w.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Next(); CodeOf(err) != api.CodeDaemonUnreachable {
		t.Fatalf("repeated cursor: got %v", err)
	}
}

func TestEventsMalformedLine(t *testing.T) {
	w := streamOf(t, "{\"cursor\":1,\"type\":\n")
	if _, err := w.Next(); CodeOf(err) != api.CodeDaemonUnreachable {
		t.Fatalf("got %v", err)
	}
}

func TestEventsTruncatedLastLine(t *testing.T) {
	w := streamOf(t, `{"cursor":1,"type":"account","account":{}}`)
	if _, err := w.Next(); err == nil || err == io.EOF {
		t.Fatalf("a last line without newline must be an error, got %v", err)
	}
}

func TestEventLineTooLong(t *testing.T) {
	long := `{"cursor":1,"type":"message","message":{"text":"` + strings.Repeat("a", api.MaxEventLineBytes) + `"}}` + "\n"
	w := streamOf(t, long)
	if _, err := w.Next(); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("got %v", err)
	}
}

func TestDecodeEventMissingPayload(t *testing.T) {
	if _, err := DecodeEvent([]byte(`{"cursor":3,"type":"message"}`)); err == nil {
		t.Fatal("message event without message accepted")
	}
}

func TestDecodeEventTrailingData(t *testing.T) {
	if _, err := DecodeEvent([]byte(`{"cursor":3,"type":"x"} {"cursor":4}`)); err == nil {
		t.Fatal("two objects on one line accepted")
	}
}

func TestDecodeEventZeroCursor(t *testing.T) {
	if _, err := DecodeEvent([]byte(`{"cursor":0,"type":"x"}`)); err == nil {
		t.Fatal("cursor 0 accepted")
	}
}

func TestDecodeEventUnknownTypeAccepted(t *testing.T) {
	ev, err := DecodeEvent([]byte(`{"cursor":3,"type":"future","future":{"x":1}}`))
	if err != nil || ev.Type != "future" {
		t.Fatalf("got %+v, %v", ev, err)
	}
}

func FuzzDecodeEvent(f *testing.F) {
	for _, ev := range []api.Event{
		msgEvent(1, "hello"),
		{Cursor: 2, Type: api.EventStatus, Message: &api.Message{ID: "ab", Status: api.StatusSent, Failure: &api.Error{Code: api.CodeUnknownUser}}},
		{Cursor: 3, Type: api.EventKeyChange, KeyChange: &api.KeyChange{User: "a", OldFingerprint: "x", NewFingerprint: "y", WasVerified: true, Held: 2}},
		{Cursor: 4, Type: api.EventConnection, Connection: &api.ConnectionEvent{State: api.LinkDisconnected, Error: &api.Error{Code: api.CodeRelayUnreachable}}},
		{Cursor: 5, Type: api.EventOverflow, Overflow: &api.Overflow{Reason: api.OverflowSlowConsumer, Oldest: 1}},
		{Cursor: 6, Type: api.EventContact, Contact: &api.Contact{Username: "a", Trust: api.TrustVerified}},
		{Cursor: 7, Type: api.EventAccount, Account: &api.AccountEvent{Username: "a", LoggedIn: true}},
	} {
		b, _ := json.Marshal(ev)
		f.Add(b)
	}
	f.Add([]byte(`{"cursor":1,"type":"x"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		ev, err := DecodeEvent(line)
		if err != nil {
			return
		}
		if ev.Cursor == 0 || ev.Type == "" {
			t.Fatalf("accepted an event without cursor or type: %q", line)
		}
		// What decodes re-encodes, and the re-encoding decodes to the same.
		b1, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		ev2, err := DecodeEvent(b1)
		if err != nil {
			t.Fatalf("re-encoded event rejected: %v\n%s", err, b1)
		}
		b2, _ := json.Marshal(ev2)
		if !bytes.Equal(b1, b2) {
			t.Fatalf("not stable:\n%s\n%s", b1, b2)
		}
	})
}

func FuzzReadResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n{\"error\":{\"code\":\"unknown_route\"}}"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(raw), 4096)
		h, err := readHead(br)
		if err != nil {
			return
		}
		if h.status < 200 || h.status > 999 || len(h.header) > maxHeaders {
			t.Fatalf("bad head accepted: %+v", h)
		}
		body, err := h.bodyReader(br)
		if err != nil {
			return
		}
		n, _ := io.Copy(io.Discard, io.LimitReader(body, 1<<20))
		if n > int64(len(raw)) {
			t.Fatalf("read %d body bytes from %d input bytes", n, len(raw))
		}
	})
}

func TestChunkedBadSize(t *testing.T) {
	br := bufio.NewReader(strings.NewReader("zz\r\n"))
	if _, err := io.ReadAll(&chunkedReader{r: br}); err == nil {
		t.Fatal("bad chunk size accepted")
	}
}

func TestChunkedHugeSize(t *testing.T) {
	br := bufio.NewReader(strings.NewReader("7fffffffffffffff\r\nab"))
	if _, err := io.ReadAll(&chunkedReader{r: br}); err == nil {
		t.Fatal("chunk size over the limit accepted")
	}
}

func TestChunkedMissingCRLF(t *testing.T) {
	br := bufio.NewReader(strings.NewReader("2\r\n{}XX0\r\n\r\n"))
	if _, err := io.ReadAll(&chunkedReader{r: br}); err == nil {
		t.Fatal("chunk without trailing CRLF accepted")
	}
}

func TestHeadTooManyHeaders(t *testing.T) {
	raw := "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-A: b\r\n", maxHeaders+1) + "\r\n"
	if _, err := readHead(bufio.NewReader(strings.NewReader(raw))); err == nil {
		t.Fatal("too many headers accepted")
	}
}

func TestHeadLineTooLong(t *testing.T) {
	raw := "HTTP/1.1 200 OK\r\nX-A: " + strings.Repeat("b", maxHeadLine+10) + "\r\n\r\n"
	if _, err := readHead(bufio.NewReader(strings.NewReader(raw))); !errors.Is(err, errLineTooLong) {
		t.Fatalf("got %v", err)
	}
}

func TestHeadBadStatusLine(t *testing.T) {
	if _, err := readHead(bufio.NewReader(strings.NewReader("SSH-2.0-OpenSSH\r\n\r\n"))); err == nil {
		t.Fatal("non-HTTP answer accepted")
	}
}
