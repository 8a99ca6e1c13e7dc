package cluster

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/securep2p/securep2p/relay/store"
)

// countNotifier is a relay.Notifier counting its wakes.
type countNotifier struct{ n atomic.Int64 }

func (c *countNotifier) Notify() { c.n.Add(1) }

// waitFor polls cond until it holds; it fails the test after 15 s (a
// liveness bound, not a timing assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// attachSettled attaches s for user on n and waits until the wakes Attach
// makes (one at once, one per renotifyAfter delay) have all arrived; it
// returns their count.
func attachSettled(t *testing.T, n *Node, user string, s *countNotifier) int64 {
	t.Helper()
	t.Cleanup(n.Router().Attach(user, s))
	want := int64(1 + len(renotifyAfter))
	waitFor(t, "attach wakes missing", func() bool { return s.n.Load() >= want })
	return s.n.Load()
}

// tcpProxy forwards a 127.0.0.1 port to target; down drops every
// connection and refuses new ones until up listens on the same port again.
type tcpProxy struct {
	t      *testing.T
	target string
	mu     sync.Mutex
	addr   string
	ln     net.Listener
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *tcpProxy {
	p := &tcpProxy{t: t, target: target}
	p.up("127.0.0.1:0")
	t.Cleanup(p.down)
	return p
}

func (p *tcpProxy) up(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go p.accept(ln)
}

func (p *tcpProxy) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		go func() { io.Copy(s, c); s.Close() }()
		go func() { io.Copy(c, s); c.Close() }()
	}
}

func (p *tcpProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestWakeAfterNATSReconnect: a new-mail notice published while the
// recipient's node had lost its NATS connection is lost (core NATS
// delivers at most once); once the node is connected again it wakes its
// attached sessions, which read the envelope from the mailbox.
func TestWakeAfterNATSReconnect(t *testing.T) {
	// One NATS server of its own: in a cluster the client learns the other
	// servers' addresses and would reconnect to one of them at once.
	nc := startNATS(t, 1)
	a := nc.open(t, Config{})
	px := newProxy(t, strings.TrimPrefix(nc.urls[0], "nats://"))
	b := nc.open(t, Config{URLs: []string{"nats://" + px.addr}})
	bob := createTestAccount(t, a, "lostnote")
	s := &countNotifier{}
	base := attachSettled(t, b, bob, s)

	addr := px.addr
	px.down() // node B loses its NATS connection
	waitFor(t, "node B still connected", func() bool { return !b.nc.IsConnected() })
	if res := appendAll(a, []store.Envelope{testEnvelope(bob, 1, 10)}); res[0].res.Status != store.Stored {
		t.Fatalf("append: %+v %v", res[0].res, res[0].err)
	}
	a.Router().Notify(bob) // what the relay does after Stored: lost, B is away
	if err := a.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := s.n.Load(); got != base {
		t.Fatalf("woken %d times while its node was disconnected", got-base)
	}
	px.up(addr)
	waitFor(t, "recipient attached on node B never woken after its reconnection", func() bool {
		return s.n.Load() > base
	})
}

// TestWakeAfterNoticeQueueOverflow: notices arriving while the node's
// notice queue is full are dropped by the NATS client; once the queue is
// drained every attached session is woken, so a recipient whose notice was
// dropped still reads its mailbox.
func TestWakeAfterNoticeQueueOverflow(t *testing.T) {
	nc := sharedNATS(t)
	a := nc.open(t, Config{})
	b := nc.open(t, Config{})
	flood := createTestAccount(t, a, "flood")
	bob := createTestAccount(t, a, "dropped")
	fs, s := &countNotifier{}, &countNotifier{}
	attachSettled(t, b, flood, fs)
	base := attachSettled(t, b, bob, s)

	r := b.router
	r.mu.Lock() // the dispatcher stalls on its next notice: the queue fills
	locked := true
	defer func() {
		if locked {
			r.mu.Unlock()
		}
	}()
	sub := r.local[bob].sub
	for range noticeQueue + 16 {
		a.Router().Notify(flood)
	}
	a.Router().Notify(bob)
	if err := a.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "bob's notice was not dropped", func() bool {
		d, err := sub.Dropped()
		return err == nil && d > 0
	})
	r.mu.Unlock()
	locked = false
	waitFor(t, "recipient whose notice was dropped never woken", func() bool { return s.n.Load() > base })
}

// TestNATSErrorsNameNoUser: the NATS client's asynchronous errors (a slow
// consumer on a user's notice subject) are logged without the subject,
// which names the user.
func TestNATSErrorsNameNoUser(t *testing.T) {
	var buf bytes.Buffer
	h := natsErrors(slog.New(slog.NewTextHandler(&buf, nil)))
	h(nil, &nats.Subscription{Subject: notifyPrefix + "alice"}, nats.ErrSlowConsumer)
	if out := buf.String(); strings.Contains(out, "alice") || !strings.Contains(out, "slow consumer") {
		t.Fatalf("logged %q: want the error without the user", out)
	}
}

// countingNotifier counts Notify calls.
type countingNotifier struct{ n atomic.Int64 }

func (c *countingNotifier) Notify() { c.n.Add(1) }

// TestWakeAllCoalesced: requests to wake every local session (NATS
// reconnections, notice-queue overflows) in quick succession cost one wake
// now and one at the end of wakeGap, not one each; the last request is
// still followed by a wake.
func TestWakeAllCoalesced(t *testing.T) {
	var a, b countingNotifier
	r := &router{local: map[string]*target{"alice": {s: &a}, "bob": {s: &b}}}
	for range 100 {
		r.requestWakeAll()
	}
	if got := a.n.Load(); got != 1 {
		t.Fatalf("%d wakes at once for 100 requests, want 1", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for a.n.Load() < 2 || b.n.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no trailing wake after the requests (alice %d, bob %d)", a.n.Load(), b.n.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.wakeMu.Lock()
	trailing := r.trailing
	r.wakeMu.Unlock()
	if trailing || a.n.Load() != 2 || b.n.Load() != 2 {
		t.Fatalf("after the trailing wake: alice %d, bob %d wakes, another scheduled %v; want 2, 2, false", a.n.Load(), b.n.Load(), trailing)
	}
}
