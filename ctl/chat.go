package ctl

import (
	"bufio"
	"context"
	"io"
	"regexp"
	"strings"
	"sync"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/client"
)

// chatArgs: an interactive conversation. Incoming messages (from anyone),
// key changes, relay state and failures are shown live; each line typed is
// sent to the current peer; "@user: text" switches the peer (and sends
// text if any); "/quit" or end of input leaves.
type chatArgs struct {
	*cli
	peer string
}

func cmdChat(ctx context.Context, c *cli, args []string) error {
	pos, err := c.parseArgs("chat", c.commandFlags("chat"), args, 1, 1)
	if err != nil {
		return err
	}
	a := chatArgs{cli: c}
	if a.peer, err = c.userArg("chat", pos[0]); err != nil {
		return err
	}
	return runChat(ctx, a)
}

var switchRE = regexp.MustCompile(`^@([^\s:]+):\s*(.*)$`)

func runChat(ctx context.Context, a chatArgs) error {
	st, err := a.client.Status(ctx, api.StatusParams{})
	if err != nil {
		return err
	}
	if !st.LoggedIn {
		return apiErr(api.CodeNotLoggedIn, "not logged in")
	}
	w, err := a.client.Events(ctx, api.EventsParams{Since: &st.Cursor})
	if err != nil {
		return err
	}
	out := &lockedWriter{w: a.stdio.Out}
	a.stdio.Out = out
	a.warnf("chatting with @%s as @%s: type a line and press Enter; '@user: text' switches; /quit or Ctrl-D leaves", a.peer, st.Username)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan error, 1)
	go func() { events <- a.showEvents(w) }()
	defer w.Close()
	return a.loop(ctx, readLines(ctx, a.stdio.In), events)
}

// showEvents prints what matters in a conversation until the stream ends.
func (a *chatArgs) showEvents(w *client.Watcher) error {
	for {
		ev, err := w.Next()
		if err != nil {
			return err
		}
		if ev.Type == api.EventStatus && ev.Message.Status != api.StatusFailed && ev.Message.Status != api.StatusHeld && !a.json {
			continue // routine progress (sent, delivered, read) would drown the conversation
		}
		a.printEvent(ev)
	}
}

// loop sends each typed line until end of input, /quit, Ctrl-C (ctx), or
// the event stream breaks (p2pd went away).
func (a *chatArgs) loop(ctx context.Context, lines <-chan string, events <-chan error) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-events:
			if err == io.EOF {
				return apiErr(api.CodeShuttingDown, "p2pd ended the event stream")
			}
			return err
		case line, ok := <-lines:
			if !ok || strings.TrimSpace(line) == "/quit" {
				return nil
			}
			if err := a.handleLine(ctx, line); err != nil {
				return err
			}
		}
	}
}

// readLines delivers input lines (at most api.MaxTextBytes each; a longer
// one ends the input) on a channel closed at end of input.
func readLines(ctx context.Context, r io.Reader) <-chan string {
	ch := make(chan string)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 4096), api.MaxTextBytes+64)
		for sc.Scan() {
			select {
			case ch <- strings.TrimRight(sc.Text(), "\r"):
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

// handleLine sends one line. Errors about the message are shown and the
// chat goes on; losing the daemon ends it.
func (a *chatArgs) handleLine(ctx context.Context, line string) error {
	if m := switchRE.FindStringSubmatch(line); m != nil {
		a.peer, a.user = m[1], m[1]
		line = m[2]
		if strings.TrimSpace(line) == "" {
			a.warnf("now chatting with @%s", a.peer)
			return nil
		}
	}
	if strings.TrimSpace(line) == "" {
		return nil
	}
	res, err := a.client.Send(ctx, api.SendParams{To: a.peer, Text: line})
	if err == nil {
		if a.json {
			a.printJSON(res)
		}
		s := sendArgs{cli: a.cli}
		err = s.outcome(res)
	}
	if err == nil || client.IsUnreachable(err) || ctx.Err() != nil {
		return err
	}
	var ce *client.Error
	if e, ok := err.(*client.Error); ok {
		ce = e
	}
	a.warnf("! %v", err)
	if ce != nil && a.hint(ce) != "" {
		a.warnf("  %s", a.hint(ce))
	}
	return nil
}

// lockedWriter serialises writes from the event goroutine and the input loop.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
