package relay

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/securep2p/securep2p/relay/relaytest/hopclient"
	"github.com/securep2p/securep2p/relay/store"
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

// BenchmarkIdleSessions is BenchmarkIdleConnections with every connection
// logged in (Resume) as its own user, as the daemons of a real relay are:
// the user's accounts are written into the relay's store file before it
// starts (no Argon2id), each connection resumes, reads its (empty)
// mailbox and stays idle.
func BenchmarkIdleSessions(b *testing.B) {
	bin := buildRelay(b)
	dir := b.TempDir()
	n := *idleConns
	users := make([]*user, n)
	st, err := store.Open(filepath.Join(dir, DatabaseFile), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for i := range users {
		users[i] = hopclient.NewUser(b, fmt.Sprintf("idle%d", i), 0)
		err := st.CreateAccount(store.Account{Username: users[i].Name, PasswordHash: []byte("unused"),
			IdentityKey: users[i].IDKey(), SignedPrekey: users[i].SPK, CreatedAt: time.Now()}, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	p := startProc(b, bin, dir, "--max-conns-per-addr", "100000", "--idle-timeout", "10m",
		"--handshake-timeout", "1m", "--auth-rate", "1e9", "--auth-burst", "1000000")
	hopclient.Dial(b, p.addr, p.key).Sync()
	time.Sleep(500 * time.Millisecond)
	before := rssBytes(b, p.cmd.Process.Pid)
	b.ResetTimer()
	dialers(n, func(i int) {
		c := hopclient.Dial(b, p.addr, p.key)
		hopclient.MustWelcome(b, c.Resume(users[i]))
		c.Sync()
	})
	b.StopTimer()
	time.Sleep(2 * time.Second) // let handshake garbage be collected
	after := rssBytes(b, p.cmd.Process.Pid)
	b.ReportMetric(float64(after-before)/float64(n), "rss-B/conn")
	b.ReportMetric(float64(n), "conns")
}

// openIdle dials n connections with 8 dialers; each completes the hop
// handshake and proves the relay serves it (Ping/Pong), then stays idle.
func openIdle(b *testing.B, p *relayProc, n int) {
	dialers(n, func(int) { hopclient.Dial(b, p.addr, p.key).Sync() })
}

// dialers runs open(0) ... open(n-1) on 8 goroutines.
func dialers(n int, open func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				open(i)
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
