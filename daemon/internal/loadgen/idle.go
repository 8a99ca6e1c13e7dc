package loadgen

import (
	"context"
	"fmt"
	"time"
)

// runIdle registers --idle-users accounts, opens --idle connections in all
// (the extra ones Resume as those accounts), holds them for --hold and
// reports the relay's memory per connection.
func runIdle(ctx context.Context, o *options, rl *relayHandle, res *Result) error {
	b := newBench(o, rl)
	start := time.Now()
	pool, err := b.registerPool(ctx, min(o.idle, o.idleUsers), false)
	if err != nil {
		return err
	}
	conns := append([]*user(nil), pool...)
	defer func() { stopUsers(conns) }()
	base := b.relayRSS()
	extra := b.extraConns(pool, o.idle-len(pool))
	t0 := time.Now()
	b.startUsers(ctx, extra)
	conns = append(conns, extra...) // all of them, so that all are stopped
	if len(extra) > 0 {
		res.ConnectsPerS = round3(float64(len(extra)) / time.Since(t0).Seconds())
	}
	res.Users, res.Conns = len(pool), o.idle
	res.SetupS = round3(time.Since(start).Seconds())
	fmt.Fprintf(o.progress, "holding %d connections for %v\n", o.idle, o.hold)
	held := time.Now()
	sleep(ctx, o.hold)
	res.DurationS = round3(time.Since(held).Seconds())
	res.HeldConns = connected(conns)
	b.recordRSS(res, base)
	b.c.fill(res)
	return nil
}

// registerPool creates, connects and registers n accounts; with stop they
// disconnect afterwards.
func (b *bench) registerPool(ctx context.Context, n int, stop bool) ([]*user, error) {
	pool := make([]*user, 0, n)
	for i := range n {
		u, err := newUser(b, b.username("i", i), 1)
		if err != nil {
			return nil, err
		}
		u.node = i
		pool = append(pool, u)
	}
	up := b.startUsers(ctx, pool)
	if stop || len(up) != len(pool) {
		stopUsers(pool) // stop the failed ones too (their links would redial)
	}
	if !stop && len(up) != len(pool) {
		return nil, fmt.Errorf("only %d of %d accounts registered: %s", len(up), len(pool), b.c.first())
	}
	return up, nil
}

// extraConns are n more connections resuming as the pool's accounts.
func (b *bench) extraConns(pool []*user, n int) []*user {
	if len(pool) == 0 {
		return nil
	}
	out := make([]*user, n)
	for i := range out {
		p := pool[i%len(pool)]
		out[i] = b.newConnUser(p.name, p.id)
		out[i].node = i
	}
	return out
}

func connected(users []*user) int {
	n := 0
	for _, u := range users {
		if u.lk.Current() != nil {
			n++
		}
	}
	return n
}

func (b *bench) relayRSS() int64 {
	if pid := b.rl.pid(); pid != 0 {
		if st, err := readProcStats(pid); err == nil {
			return st.rss
		}
	}
	return 0
}

// recordRSS, at the end of the hold with every connection open: the
// relay's RSS, the RSS before the extra connections (after the accounts'
// Argon2id hashes, whose freed memory the Go runtime may still hold), RSS
// over all connections (an upper bound per connection: it includes the
// relay's fixed memory) and per extra connection.
func (b *bench) recordRSS(res *Result, base int64) {
	if rss := b.relayRSS(); rss != 0 {
		res.setRSS(rss, base)
	}
}

// setRSS records the relay's RSS at the end of the hold (rss) and before
// the connections beyond --idle-users (base): per connection over all of
// them, and per extra connection, (rss - base) / (conns - users), the
// memory one more idle connection costs.
func (res *Result) setRSS(rss, base int64) {
	res.RelayRSSHoldB, res.RelayRSSBaseB = rss, base
	if res.Conns > 0 {
		res.RSSPerConnB = rss / int64(res.Conns)
	}
	if extra := int64(res.Conns - res.Users); extra > 0 && base > 0 && rss > base {
		res.RSSPerExtraConnB = (rss - base) / extra
	}
}
