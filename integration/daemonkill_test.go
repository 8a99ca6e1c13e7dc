package integration

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/securep2p/securep2p/daemon/api"
)

// testSeed is the seed of a test's random choices: P2P_TEST_SEED when set
// (to replay a failure), else a fresh one. It is logged.
func testSeed(t *testing.T) uint64 {
	t.Helper()
	seed := rand.Uint64()
	if s := os.Getenv("P2P_TEST_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("P2P_TEST_SEED: %v", err)
		}
	}
	t.Logf("seed %d (replay with P2P_TEST_SEED=%d)", seed, seed)
	return seed
}

// sendUntilError sends texts from d to peer until a send fails (the daemon
// was killed); it returns the messages whose send returned, and the text
// whose send failed ("" when none did).
func (d *daemonNode) sendUntilError(ctx context.Context, peer string, texts []string) ([]api.Message, string) {
	var sent []api.Message
	for _, text := range texts {
		res, err := d.c.Send(ctx, api.SendParams{To: peer, Text: text})
		if err != nil {
			return sent, text
		}
		sent = append(sent, res.Message)
	}
	return sent, ""
}

// killCycle sends batches both ways while SIGKILLing one or both daemons at
// a random moment, then restarts them. It returns the messages whose send
// returned and the texts whose send failed (which may arrive at most once).
func killCycle(t *testing.T, p *pair, rng *rand.Rand, cycle int) (aSent, bSent []api.Message, uncertain []string) {
	t.Helper()
	ctx := stepCtx(t, time.Minute)
	var wg sync.WaitGroup
	var aFail, bFail string
	wg.Add(2)
	go func() {
		defer wg.Done()
		aSent, aFail = p.alice.sendUntilError(ctx, "bob", numbered("a->b "+itoa(cycle), 0, 10))
	}()
	go func() {
		defer wg.Done()
		bSent, bFail = p.bob.sendUntilError(ctx, "alice", numbered("b->a "+itoa(cycle), 0, 10))
	}()
	victims := [][]*daemonNode{{p.alice}, {p.bob}, {p.alice, p.bob}}[rng.IntN(3)]
	delay := time.Duration(rng.IntN(200)) * time.Millisecond
	time.Sleep(delay) // a random kill point, not a wait for anything
	t.Logf("cycle %d: SIGKILL %s after %v", cycle, names(victims), delay)
	for _, v := range victims {
		v.kill()
	}
	wg.Wait()
	for _, v := range victims {
		v.restart(t)
	}
	for _, v := range victims {
		v.waitLink(t, time.Minute, api.LinkConnected)
	}
	for _, f := range []string{aFail, bFail} {
		if f != "" {
			uncertain = append(uncertain, f)
		}
	}
	return aSent, bSent, uncertain
}

// TestDaemonSIGKILLCycles is scenario 4: sender and receiver daemons are
// killed with SIGKILL at random points for daemonKillCycles cycles while
// messages flow both ways: nothing whose send returned is lost, nothing is
// shown twice, and the sessions keep working.
func TestDaemonSIGKILLCycles(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t), 0))
	p := startPair(t, nil)
	warmUp(t, p)
	var aSent, bSent []api.Message
	var uncertain []string
	for cycle := range daemonKillCycles {
		a, b, u := killCycle(t, p, rng, cycle)
		aSent, bSent, uncertain = append(aSent, a...), append(bSent, b...), append(uncertain, u...)
	}
	t.Logf("%d cycles: %d sends returned (alice %d, bob %d), %d interrupted by a kill",
		daemonKillCycles, len(aSent)+len(bSent), len(aSent), len(bSent), len(uncertain))
	if err := p.alice.awaitOutgoing(deliverTimeout, "bob", len(aSent)+1, api.StatusDelivered); err != nil {
		t.Error(err)
	}
	if err := p.bob.awaitOutgoing(deliverTimeout, "alice", len(bSent)+1, api.StatusDelivered); err != nil {
		t.Error(err)
	}
	aEnd, bEnd := p.alice.mustHistory(t, "bob"), p.bob.mustHistory(t, "alice")
	checkFlow(t, "alice->bob", aSent, nil, aEnd, bEnd)
	checkFlow(t, "bob->alice", bSent, nil, bEnd, aEnd)
	checkAtMostOnce(t, aEnd, bEnd)
	p.alice.sendWait(t, "bob", "still working", api.StatusDelivered)
	p.bob.sendWait(t, "alice", "still working too", api.StatusDelivered)
}

// checkAtMostOnce requires every text to appear at most once in each
// history (covers the sends a kill interrupted).
func checkAtMostOnce(t *testing.T, hs ...[]api.Message) {
	t.Helper()
	for _, h := range hs {
		seen := map[string]bool{}
		for _, m := range h {
			if seen[string(m.Direction)+m.Text] {
				t.Errorf("%q (%s) is shown twice", m.Text, m.Direction)
			}
			seen[string(m.Direction)+m.Text] = true
		}
	}
}

func names(ds []*daemonNode) string {
	s := ""
	for i, d := range ds {
		if i > 0 {
			s += "+"
		}
		s += d.name
	}
	return s
}
