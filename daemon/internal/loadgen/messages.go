package loadgen

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/securep2p/securep2p/daemon/internal/link"
)

// Per-user one-time prekeys: one per session the user answers, plus one.
const fanInPrekeyCap = 500

// edge is one sender pinging one peer; setup is one session to establish.
type edge struct {
	from *user
	to   *peer
}

type setup struct {
	init *user
	peer *peer
}

// topology is the users of a message workload and who talks to whom.
type topology struct {
	users  []*user
	setups []setup
	edges  []edge
}

// buildTopology creates the users' keys: pairs, or fan-in senders and one
// receiver.
func buildTopology(b *bench) (*topology, error) {
	t := &topology{}
	if b.o.workload == workloadFanIn {
		recv, err := newUser(b, b.username("r", 0), min(b.o.fanIn+1, fanInPrekeyCap))
		if err != nil {
			return nil, err
		}
		t.users = append(t.users, recv)
		for i := range b.o.fanIn {
			if err := t.connect(b, "s", i, fanInNode(i, b.nodes()), recv, false); err != nil {
				return nil, err
			}
		}
		return t, nil
	}
	for i := range b.o.pairs {
		bu, err := newUser(b, b.username("b", i), 2)
		if err != nil {
			return nil, err
		}
		t.users = append(t.users, bu)
		resp, init := pairNodes(i, b.nodes())
		bu.node = resp
		if err := t.connect(b, "a", i, init, bu, b.o.senders == 2); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// connect adds a new initiating user (role, i) on relay node node talking
// to resp, which pings back when both is set.
func (t *topology) connect(b *bench, role string, i, node int, resp *user, both bool) error {
	a, err := newUser(b, b.username(role, i), 2)
	if err != nil {
		return err
	}
	a.node = node
	t.users = append(t.users, a)
	pa, pr := a.addPeer(resp.name), resp.addPeer(a.name)
	t.setups = append(t.setups, setup{a, pa})
	t.edges = append(t.edges, edge{a, pa})
	if both {
		t.edges = append(t.edges, edge{resp, pr})
	}
	return nil
}

// runMessages is ping-pong, open loop and fan-in.
func runMessages(ctx context.Context, o *options, rl *relayHandle, res *Result) error {
	b := newBench(o, rl)
	start := time.Now()
	t, err := buildTopology(b)
	if err != nil {
		return err
	}
	res.Users, res.Conns = len(t.users), len(t.users)
	defer stopUsers(t.users)
	up := b.startUsers(ctx, t.users)
	if len(up) == len(t.users) && b.setupSessions(ctx, t) {
		res.SetupS = round3(time.Since(start).Seconds())
		b.measure(ctx, t, res)
		return nil
	}
	// Setup failed: the result reports the errors, nothing is measured.
	res.SetupS = round3(time.Since(start).Seconds())
	b.c.fill(res)
	return nil
}

// setupSessions runs every X3DH setup, o.parallel at a time; false if
// any failed (counted as errors).
func (b *bench) setupSessions(ctx context.Context, t *topology) bool {
	errs := b.c.errors.Load()
	forEach(ctx, len(t.setups), b.o.parallel, func(i int) {
		s := t.setups[i]
		sctx, cancel := context.WithTimeout(ctx, b.o.opTimeout)
		defer cancel()
		if err := s.init.initiate(sctx, s.peer); err != nil {
			b.c.fail(fmt.Errorf("%s: session setup: %w", s.init.name, err))
		}
	})
	if ctx.Err() != nil {
		b.c.fail(fmt.Errorf("session setup: %w", ctx.Err()))
	}
	return b.c.errors.Load() == errs
}

// measure runs the measured phase and fills res.
func (b *bench) measure(ctx context.Context, t *topology, res *Result) {
	fmt.Fprintf(b.o.progress, "setup done: %d users, %d sessions; measuring\n", len(t.users), len(t.setups))
	stopProfile, err := startProfile(b.o.cpuProfile)
	if err != nil {
		b.c.fail(err)
		return
	}
	pk0 := packets(t.users)
	cpu0, self0 := b.relayCPU(), selfCPU()
	b.c.measure.Store(true)
	start := time.Now()
	var wg sync.WaitGroup
	for i, e := range t.edges {
		if b.o.workload == workloadRate {
			wg.Go(func() { b.openLoop(ctx, e, i, len(t.edges), start) })
		} else {
			wg.Go(func() { b.closedLoop(ctx, e) })
		}
	}
	wg.Wait()
	if b.o.workload == workloadRate {
		b.drain(ctx, t)
	}
	elapsed := time.Since(start)
	b.c.measure.Store(false)
	if err := stopProfile(); err != nil {
		b.c.fail(err)
	}
	res.RelayCPUS = round3((b.relayCPU() - cpu0).Seconds())
	res.ClientCPUS = round3((selfCPU() - self0).Seconds())
	res.DurationS = round3(elapsed.Seconds())
	res.Msgs = b.c.msgs.Load()
	res.MsgsPerS = round3(float64(res.Msgs) / elapsed.Seconds())
	pk1 := packets(t.users)
	res.PktsSentPerMsg, res.PktsRecvPerMsg = perMsg(pk1, pk0, res.Msgs)
	res.PktsLost = lost(pk1, pk0)
	for _, u := range t.users {
		u.mu.Lock()
		b.c.addSamples(u.samples)
		u.mu.Unlock()
	}
	b.c.fill(res)
}

// closedLoop: o.rounds pings, each after the previous one's echo.
func (b *bench) closedLoop(ctx context.Context, e edge) {
	for range b.o.rounds {
		if err := e.from.pingWait(ctx, e.to, b.o.opTimeout); err != nil {
			if ctx.Err() == nil {
				b.c.fail(err)
			}
			return
		}
	}
}

// openLoop sends this edge's share of --rate on a fixed schedule for
// --duration. A ping's round trip counts from its scheduled time, so a
// sender that falls behind shows up in the latency (no coordinated
// omission).
func (b *bench) openLoop(ctx context.Context, e edge, i, n int, start time.Time) {
	every := time.Duration(float64(n) / b.o.rate * float64(time.Second))
	next := start.Add(every * time.Duration(i) / time.Duration(n))
	end := start.Add(b.o.duration)
	for next.Before(end) && ctx.Err() == nil {
		if d := time.Until(next); d > 0 {
			sleep(ctx, d)
		}
		if _, err := e.from.ping(ctx, e.to, next); err != nil && ctx.Err() == nil {
			b.c.fail(err)
		}
		next = next.Add(every)
	}
}

// drain waits up to --op-timeout for outstanding echoes; the rest are
// timeouts.
func (b *bench) drain(ctx context.Context, t *topology) {
	deadline := time.Now().Add(b.o.opTimeout)
	for time.Now().Before(deadline) && ctx.Err() == nil && pendingCount(t.users) > 0 {
		sleep(ctx, 5*time.Millisecond)
	}
	b.c.timeouts.Add(int64(pendingCount(t.users)))
}

func pendingCount(users []*user) int {
	n := 0
	for _, u := range users {
		u.mu.Lock()
		n += len(u.pending)
		u.mu.Unlock()
	}
	return n
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// packets sums the QUIC packet counters of the users' current connections.
func packets(users []*user) link.Stats {
	var sum link.Stats
	for _, u := range users {
		if c := u.lk.Current(); c != nil {
			st := c.Stats()
			sum.PacketsSent += st.PacketsSent
			sum.PacketsReceived += st.PacketsReceived
			sum.PacketsLost += st.PacketsLost
		}
	}
	return sum
}

// perMsg is the packets sent and received between from and to per message.
func perMsg(to, from link.Stats, msgs int64) (sent, recv float64) {
	if msgs == 0 || to.PacketsSent < from.PacketsSent || to.PacketsReceived < from.PacketsReceived {
		return 0, 0 // nothing measured, or a connection was replaced
	}
	n := float64(msgs)
	return round3(float64(to.PacketsSent-from.PacketsSent) / n), round3(float64(to.PacketsReceived-from.PacketsReceived) / n)
}

// lost is the packets the users' connections declared lost between from
// and to (0 when the count went down: late arrivals are taken back).
func lost(to, from link.Stats) int64 {
	return max(int64(to.PacketsLost)-int64(from.PacketsLost), 0)
}
