package loadgen

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// runConnect registers --idle-users accounts, then opens --connect
// connections, --parallel at a time, each dial + QUIC + hop handshake +
// Resume; the latency is dial to Welcome. Connections are closed in the
// background as soon as they are up.
func runConnect(ctx context.Context, o *options, rl *relayHandle, res *Result) error {
	b := newBench(o, rl)
	start := time.Now()
	pool, err := b.registerPool(ctx, min(o.connect, o.idleUsers), true)
	if err != nil {
		return err
	}
	res.Users, res.Conns = len(pool), o.connect
	res.SetupS = round3(time.Since(start).Seconds())
	conns := b.extraConns(pool, o.connect)
	var closing sync.WaitGroup
	lat := make([]time.Duration, len(conns))
	ok := make([]bool, len(conns))
	fmt.Fprintf(o.progress, "setup done: %d accounts; measuring\n", len(pool))
	cpu0, self0 := b.relayCPU(), selfCPU()
	t0 := time.Now()
	forEach(ctx, len(conns), o.parallel, func(i int) {
		u, s := conns[i], time.Now()
		u.start(ctx, b.rl.dial(u.node), b.rl.key)
		err := u.waitUp(ctx, o.opTimeout)
		lat[i], ok[i] = time.Since(s), err == nil
		if err != nil {
			b.c.fail(err)
		}
		closing.Go(u.stop)
	})
	elapsed := time.Since(t0)
	res.RelayCPUS = round3((b.relayCPU() - cpu0).Seconds())
	res.ClientCPUS = round3((selfCPU() - self0).Seconds())
	closing.Wait()
	var samples []time.Duration
	for i := range conns {
		if ok[i] {
			samples = append(samples, lat[i])
		}
	}
	res.DurationS = round3(elapsed.Seconds())
	res.ConnectsPerS = round3(float64(len(samples)) / elapsed.Seconds())
	b.c.addSamples(samples)
	b.c.fill(res)
	return nil
}
