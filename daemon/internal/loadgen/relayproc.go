package loadgen

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/securep2p/securep2p/wire/secp"
)

const (
	relayStartTimeout = 20 * time.Second
	relayStopTimeout  = 10 * time.Second
	maxBannerLine     = 256 // bytes of one relay stdout line we parse
)

// relayHandle is the relay under load: one or several nodes given by
// address, or a p2p-relay process started (and stopped) here.
type relayHandle struct {
	nodes   []relayNode // at least one once opened
	key     secp.PublicKey
	cmd     *exec.Cmd // nil: not ours
	dir     string    // temporary state dir of our relay
	stderr  *tailBuffer
	waitErr chan error
}

func openRelay(ctx context.Context, o *options, stderr io.Writer) (*relayHandle, error) {
	if len(o.relayAddrs) > 0 {
		return &relayHandle{nodes: newNodes(o.relayAddrs...), key: o.relayKey}, nil
	}
	bin, err := findRelayBinary(o.relayBin)
	if err != nil {
		return nil, err
	}
	h, err := startRelay(ctx, bin, o.maxConnections())
	if err == nil {
		fmt.Fprintf(stderr, "started %s (pid %d) on %s\n", bin, h.pid(), h.addrList())
	}
	return h, err
}

// findRelayBinary: the flag, else p2p-relay next to this executable, else $PATH.
func findRelayBinary(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "p2p-relay")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	p, err := exec.LookPath("p2p-relay")
	if err != nil {
		return "", errors.New("no p2p-relay binary next to this program or in $PATH: build it (make build) or pass --relay-bin or --relay")
	}
	return p, nil
}

// relayArgs: loopback only, no metrics listener, limits opened up for one
// source address carrying every simulated user.
func relayArgs(dir string, conns int) []string {
	return []string{
		"--listen", "127.0.0.1:0", "--metrics", "off", "--state-dir", dir,
		"--max-conns-per-addr", strconv.Itoa(conns),
		"--auth-rate", "1000000", "--auth-burst", "1000000",
	}
}

func startRelay(ctx context.Context, bin string, conns int) (*relayHandle, error) {
	dir, err := os.MkdirTemp("", "p2pd-bench-relay-")
	if err != nil {
		return nil, fmt.Errorf("relay state dir: %w", err)
	}
	h := &relayHandle{dir: dir, stderr: &tailBuffer{max: 4096}, waitErr: make(chan error, 1)}
	h.cmd = exec.Command(bin, relayArgs(dir, conns)...)
	h.cmd.Stderr = h.stderr
	out, err := h.cmd.StdoutPipe()
	if err == nil {
		err = h.cmd.Start()
	}
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start relay %s: %w", bin, err)
	}
	go func() { h.waitErr <- h.cmd.Wait() }()
	if err := h.readBanner(ctx, out); err != nil {
		h.close()
		return nil, err
	}
	return h, nil
}

// readBanner parses the "relay key:" and "listening on" lines, then keeps
// draining stdout so the relay never blocks on it.
func (h *relayHandle) readBanner(ctx context.Context, out io.Reader) error {
	type banner struct {
		addr string
		key  secp.PublicKey
		err  error
	}
	got := make(chan banner, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 0, maxBannerLine), maxBannerLine)
		var b banner
		b.addr, b.key, b.err = parseBanner(sc)
		got <- b
		for sc.Scan() {
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	ctx, cancel := context.WithTimeout(ctx, relayStartTimeout)
	defer cancel()
	select {
	case b := <-got:
		if b.err != nil {
			return fmt.Errorf("relay start: %w; its stderr ends: %s", b.err, h.stderr.String())
		}
		h.nodes, h.key = newNodes(b.addr), b.key
		return nil
	case <-ctx.Done():
		return fmt.Errorf("relay did not print its address in time; its stderr ends: %s", h.stderr.String())
	}
}

// parseBanner reads lines until both the key and the address were seen.
func parseBanner(sc *bufio.Scanner) (addr string, key secp.PublicKey, err error) {
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if v, ok := strings.CutPrefix(line, "relay key: "); ok {
			if key, err = parseKeyHex(v); err != nil {
				return "", key, fmt.Errorf("relay key line: %w", err)
			}
		} else if v, ok := strings.CutPrefix(line, "listening on "); ok {
			if err := checkLoopback(v); err != nil {
				return "", key, err
			}
			addr = v
		}
		if addr != "" && !key.IsZero() {
			return addr, key, nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", key, err
	}
	return "", key, errors.New("relay exited before printing its key and address")
}

func parseKeyHex(s string) (secp.PublicKey, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return secp.PublicKey{}, errors.New("not hex")
	}
	return secp.ParsePublicKey(b)
}

// pid is our relay's process id, 0 when the relay is not ours.
func (h *relayHandle) pid() int {
	if h.cmd == nil || h.cmd.Process == nil {
		return 0
	}
	return h.cmd.Process.Pid
}

// finish records the relay's total CPU and peak RSS in res.
func (h *relayHandle) finish(res *Result) {
	pid := h.pid()
	if pid == 0 {
		return
	}
	if st, err := readProcStats(pid); err == nil {
		res.RelayCPUTotal = round3(st.cpu.Seconds())
		res.RelayPeakRSSBytes = st.peakRSS
		res.RelayRSSBytes = st.rss
	}
}

// close stops our relay (SIGTERM, then SIGKILL) and removes its state.
func (h *relayHandle) close() {
	if h.cmd == nil {
		return
	}
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.waitErr:
	case <-time.After(relayStopTimeout):
		_ = h.cmd.Process.Kill()
		<-h.waitErr
	}
	h.cmd = nil
	_ = os.RemoveAll(h.dir)
}

// tailBuffer keeps the last max bytes written (the relay's stderr).
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}
