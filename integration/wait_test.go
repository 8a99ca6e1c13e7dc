package integration

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/client"
)

// waitFor waits until check reports true. It re-checks after every event
// the daemon emits (never on a timer), and fails the test when timeout
// passes first or check returns an error.
func (d *daemonNode) waitFor(t *testing.T, timeout time.Duration, what string, check func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := d.await(timeout, what, check); err != nil {
		t.Fatal(err)
	}
}

// await is waitFor returning the failure instead.
func (d *daemonNode) await(timeout time.Duration, what string, check func(ctx context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		events, dead, err := d.pump(ctx)
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("%s: %s did not happen within %v", d.name, what, timeout)
		case err != nil:
			return fmt.Errorf("%s: waiting for %s: open the event stream: %v", d.name, what, err)
		}
		if err := d.checkOnEvents(ctx, what, timeout, check, events, dead); err != errReopen {
			return err
		}
		if d.exited() {
			return fmt.Errorf("%s exited while waiting for %s", d.name, what)
		}
	}
}

var errReopen = errors.New("event stream ended")

// checkOnEvents runs check now and after each burst of events; it returns
// nil once check succeeds and errReopen when the stream ended.
func (d *daemonNode) checkOnEvents(ctx context.Context, what string, timeout time.Duration, check func(context.Context) (bool, error), events, dead <-chan struct{}) error {
	for {
		ok, err := check(ctx)
		if ok {
			return nil
		}
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("%s: waiting for %s: %v", d.name, what, err)
		}
		select {
		case <-events:
		case <-dead:
			return errReopen
		case <-ctx.Done():
			return fmt.Errorf("%s: %s did not happen within %v", d.name, what, timeout)
		}
	}
}

// pump opens d's event stream (new events only): events is signalled (and
// coalesced) on every event, dead closed when the stream ends.
func (d *daemonNode) pump(ctx context.Context) (events, dead chan struct{}, err error) {
	w, err := d.c.Events(ctx, api.EventsParams{})
	if err != nil {
		return nil, nil, err
	}
	events, dead = make(chan struct{}, 1), make(chan struct{})
	go func() {
		defer close(dead)
		defer w.Close()
		for {
			if _, err := w.Next(); err != nil {
				return
			}
			select {
			case events <- struct{}{}:
			default:
			}
		}
	}()
	return events, dead, nil
}

// waitLink waits until d's relay link is in state.
func (d *daemonNode) waitLink(t *testing.T, timeout time.Duration, state api.LinkState) api.StatusResult {
	t.Helper()
	var st api.StatusResult
	d.waitFor(t, timeout, "relay link "+string(state), func(ctx context.Context) (bool, error) {
		var err error
		st, err = d.c.Status(ctx, api.StatusParams{})
		return st.Relay.State == state, err
	})
	return st
}

// history returns d's whole conversation with peer, oldest first (none
// when there is no conversation yet).
func (d *daemonNode) history(ctx context.Context, peer string) ([]api.Message, error) {
	var pages [][]api.Message
	var before uint64
	for {
		res, err := d.c.History(ctx, api.HistoryParams{User: peer, Limit: api.MaxHistoryLimit, Before: before})
		if client.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		pages = append(pages, res.Messages)
		if !res.More || len(res.Messages) == 0 {
			break
		}
		before = res.Messages[0].Seq
	}
	var all []api.Message
	for i := len(pages) - 1; i >= 0; i-- {
		all = append(all, pages[i]...)
	}
	return all, nil
}

// mustHistory is history that fails the test on error.
func (d *daemonNode) mustHistory(t *testing.T, peer string) []api.Message {
	t.Helper()
	h, err := d.history(stepCtx(t, time.Minute), peer)
	if err != nil {
		t.Fatalf("%s: history with %s: %v", d.name, peer, err)
	}
	return h
}

// waitIncoming waits until d holds at least n messages from peer and
// returns its history with peer.
func (d *daemonNode) waitIncoming(t *testing.T, timeout time.Duration, peer string, n int) []api.Message {
	t.Helper()
	var h []api.Message
	d.waitFor(t, timeout, fmt.Sprintf("%d messages from %s", n, peer), func(ctx context.Context) (bool, error) {
		var err error
		h, err = d.history(ctx, peer)
		return count(h, api.DirectionIn, "") >= n, err
	})
	return h
}

// waitOutgoing waits until every message d sent to peer reached status
// (or later) and returns the history.
func (d *daemonNode) waitOutgoing(t *testing.T, timeout time.Duration, peer string, n int, status api.Status) []api.Message {
	t.Helper()
	var h []api.Message
	d.waitFor(t, timeout, fmt.Sprintf("%d messages to %s %s", n, peer, status), func(ctx context.Context) (bool, error) {
		var err error
		h, err = d.history(ctx, peer)
		return count(h, api.DirectionOut, status) >= n, err
	})
	return h
}

// awaitOutgoing is waitOutgoing returning the failure instead (naming
// the first few messages that did not reach status).
func (d *daemonNode) awaitOutgoing(timeout time.Duration, peer string, n int, status api.Status) error {
	var h []api.Message
	err := d.await(timeout, fmt.Sprintf("%d messages to %s %s", n, peer, status), func(ctx context.Context) (bool, error) {
		var err error
		h, err = d.history(ctx, peer)
		return count(h, api.DirectionOut, status) >= n, err
	})
	if err == nil {
		return nil
	}
	var behind []string
	for _, m := range h {
		if m.Direction == api.DirectionOut && statusRank[m.Status] < statusRank[status] && len(behind) < 5 {
			behind = append(behind, fmt.Sprintf("%q (%s) %s since %s", m.Text, m.ID, m.Status, m.Updated.Format(time.StampMilli)))
		}
	}
	return fmt.Errorf("%w; still behind: %v", err, behind)
}

// statusRank orders statuses (failed and held rank below queued).
var statusRank = map[api.Status]int{api.StatusQueued: 1, api.StatusSent: 2, api.StatusDelivered: 3, api.StatusRead: 4}

// count counts messages in dir whose status is at least min ("" = any).
func count(h []api.Message, dir api.Direction, min api.Status) int {
	n := 0
	for _, m := range h {
		if m.Direction == dir && (min == "" || statusRank[m.Status] >= statusRank[min]) {
			n++
		}
	}
	return n
}
