package quicfloor

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"time"
)

// runResult is one closed-loop ping-pong run over every pair.
type runResult struct {
	elapsed time.Duration   // from the start signal to the last pair's last echo
	msgs    int             // one-way deliveries: two per round trip
	rtts    []time.Duration // every round trip, as measured by its pinger
}

// runPingPong runs rounds round trips of size-byte messages on every pair
// (clients 2i and 2i+1) at once. When ctx ends first, it closes every
// connection and fails.
func runPingPong(ctx context.Context, cs []*client, rounds, size int) (runResult, error) {
	stop := context.AfterFunc(ctx, func() { closeAll(cs) })
	defer stop()
	pairs := len(cs) / 2
	rtts := make([][]time.Duration, pairs)
	errs := make([]error, len(cs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range pairs {
		wg.Go(func() { <-start; rtts[i], errs[2*i] = ping(cs[2*i], i, rounds, size) })
		wg.Go(func() { <-start; errs[2*i+1] = echo(cs[2*i+1], i, rounds, size) })
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	r := runResult{elapsed: time.Since(t0), msgs: 2 * pairs * rounds, rtts: slices.Concat(rtts...)}
	if err := ctx.Err(); err != nil {
		return r, fmt.Errorf("ping-pong: %w", err)
	}
	for _, err := range errs {
		if err != nil {
			return r, err
		}
	}
	return r, nil
}

// ping sends rounds messages one at a time, each after the previous
// one's echo, and checks every echo.
func ping(c *client, pair, rounds, size int) ([]time.Duration, error) {
	rtts := make([]time.Duration, 0, rounds)
	msg := make([]byte, size)
	for seq := range rounds {
		fillMsg(msg, pair, seq)
		t := time.Now()
		if err := c.send(msg); err != nil {
			return rtts, err
		}
		got, err := c.recv()
		if err != nil {
			return rtts, err
		}
		rtts = append(rtts, time.Since(t))
		if !bytes.Equal(got, msg) {
			return rtts, fmt.Errorf("pair %d: echo %d differs", pair, seq)
		}
	}
	return rtts, nil
}

// echo receives rounds messages, checks each and sends it back.
func echo(c *client, pair, rounds, size int) error {
	want := make([]byte, size)
	for seq := range rounds {
		got, err := c.recv()
		if err != nil {
			return err
		}
		if fillMsg(want, pair, seq); !bytes.Equal(got, want) {
			return fmt.Errorf("pair %d: message %d differs", pair, seq)
		}
		if err := c.send(got); err != nil {
			return err
		}
	}
	return nil
}

// fillMsg writes message seq of pair into b (at least 8 bytes): pair,
// seq, then a pattern of both.
func fillMsg(b []byte, pair, seq int) {
	binary.BigEndian.PutUint32(b, uint32(pair))
	binary.BigEndian.PutUint32(b[4:], uint32(seq))
	for i := 8; i < len(b); i++ {
		b[i] = byte(pair*31 + seq*7 + i)
	}
}

// percentile is the nearest-rank q-quantile of sorted (q in (0, 1]).
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*q+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
