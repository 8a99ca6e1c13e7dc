package ctl

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/securep2p/securep2p/daemon/api"
)

// watchWriter records output and closes seen once it contains want.
type watchWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

func TestChatShowsIncomingAndSwitchesRecipient(t *testing.T) {
	f, sock := newFake(t)
	in, typed := io.Pipe()
	out := &watchWriter{want: "@alice: yo", seen: make(chan struct{})}
	var errb bytes.Buffer
	c := &cli{stdio: Stdio{In: in, Out: out, Err: &errb}, loc: time.UTC}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- c.main(ctx, []string{"--socket", sock, "chat", "@alice"}) }()

	f.live <- api.Event{Cursor: 6, Type: api.EventMessage, Time: t0, Message: &api.Message{ID: "01", Direction: api.DirectionIn, Peer: "alice", Text: "yo", Status: api.StatusDelivered}}
	select {
	case <-out.seen:
	case <-ctx.Done():
		t.Fatalf("incoming message never shown; output %q", out.buf.String())
	}
	io.WriteString(typed, "hello\n@carol: hi carol\nagain\n@dave:\nto dave\n/quit\n")
	if code := <-done; code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errb.String())
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var got []string
	for _, p := range f.sent {
		got = append(got, p.To+":"+p.Text)
	}
	if want := "alice:hello|carol:hi carol|carol:again|dave:to dave"; strings.Join(got, "|") != want {
		t.Errorf("sent %q, want %q", strings.Join(got, "|"), want)
	}
	if !strings.Contains(errb.String(), "now chatting with @dave") {
		t.Errorf("switching without text not acknowledged: %q", errb.String())
	}
}

func TestChatErrorsDoNotEndIt(t *testing.T) {
	f, sock := newFake(t)
	code, _, errs := runCLI(t, sock, "@nobody: hi\n@alice: still here\n", "chat", "@alice")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "unknown user @nobody") {
		t.Errorf("the failed send was not reported: %q", errs)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.sent) != 2 || f.sent[1].To != "alice" {
		t.Errorf("sends %+v", f.sent)
	}
}

func TestChatNotLoggedIn(t *testing.T) {
	f, sock := newFake(t)
	f.loggedIn = false
	if code, _, _ := runCLI(t, sock, "hi\n", "chat", "@alice"); code != api.ExitAuth {
		t.Errorf("exit %d, want %d", code, api.ExitAuth)
	}
}
