package relay

import (
	"bufio"
	"flag"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/securep2p/securep2p/relay/relaytest/hopclient"
)

var idleConns = flag.Int("idleconns", 1000, "connections BenchmarkIdleConnections holds (10000 needs ~1.5 GB in the test process)")

// BenchmarkIdleConnections measures the real p2p-relay binary's memory per
// idle connection: it opens -idleconns connections (QUIC and hop
// handshake done, then silent) and reports the growth of the relay
// process's resident set (rss-B/conn, what an operator pays; it includes
// garbage the relay's GC has not returned yet). It measures once,
// whatever b.N is: the unit is a connection, not an iteration.
func BenchmarkIdleConnections(b *testing.B) {
	bin := buildRelay(b)
	p := startProc(b, bin, b.TempDir(), "--max-conns-per-addr", "100000", "--idle-timeout", "10m",
		"--handshake-timeout", "1m")
	hopclient.Dial(b, p.addr, p.key).Sync()
	time.Sleep(500 * time.Millisecond)
	before := rssBytes(b, p.cmd.Process.Pid)
	n := *idleConns
	b.ResetTimer()
	openIdle(b, p, n)
	b.StopTimer()
	time.Sleep(2 * time.Second) // let handshake garbage be collected
	after := rssBytes(b, p.cmd.Process.Pid)
	b.ReportMetric(float64(after-before)/float64(n), "rss-B/conn")
	b.ReportMetric(float64(n), "conns")
}

// openIdle dials n connections with 8 dialers; each completes the hop
// handshake and proves the relay serves it (Ping/Pong), then stays idle.
func openIdle(b *testing.B, p *relayProc, n int) {
	var wg sync.WaitGroup
	next := make(chan struct{}, n)
	for range n {
		next <- struct{}{}
	}
	close(next)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				hopclient.Dial(b, p.addr, p.key).Sync()
			}
		}()
	}
	wg.Wait()
}

// rssBytes reads VmRSS of pid from /proc.
func rssBytes(b *testing.B, pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
