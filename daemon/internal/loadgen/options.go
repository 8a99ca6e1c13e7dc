package loadgen

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/securep2p/securep2p/wire/secp"
)

// Workload names, as printed in the result's "workload" field.
const (
	workloadPingPong = "pingpong"
	workloadRate     = "rate"
	workloadFanIn    = "fanin"
	workloadIdle     = "idle"
	workloadConnect  = "connect"
)

// Hard limits on the flags, so a typo cannot exhaust the machine.
const (
	maxUsers     = 20000
	maxConns     = 50000
	maxRounds    = 10_000_000
	maxRate      = 1_000_000
	maxParallel  = 1024
	minSize      = 1
	maxNodes     = 16 // addresses in --relay
	maxGCPercent = 100_000
)

var errHelp = errors.New("help requested")

// options are the parsed flags.
type options struct {
	workload string

	pairs, rounds, size int
	senders             int // pingers per pair: 1 or 2
	rate                float64
	duration            time.Duration
	fanIn               int
	idle, idleUsers     int
	hold                time.Duration
	connect             int
	parallel            int

	relayAddrs []string // --relay: one relay, or the nodes of one cluster
	relayKey   secp.PublicKey
	relayBin   string
	timeout    time.Duration
	opTimeout  time.Duration

	sharedSocket bool // --shared-socket: every simulated user dials from one UDP socket
	gcPercent    int  // --gc-percent: GC target of this process during the run

	progress   io.Writer       // stderr: one line when the measured phase starts
	cpuProfile string          // hidden --cpuprofile: CPU profile of the measured phase
	transport  *quic.Transport // the shared socket of this run (set by run), or nil
}

func parseArgs(args []string, stderr io.Writer) (*options, error) {
	o := &options{progress: stderr}
	var keyHex, relayList string
	fs := flag.NewFlagSet("p2pd bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = usage(fs)
	fs.IntVar(&o.pairs, "pairs", 1, "user pairs exchanging messages")
	fs.IntVar(&o.rounds, "rounds", 1000, "round trips per sending user (ping-pong and fan-in)")
	fs.IntVar(&o.size, "size", 200, "text bytes per message, before end-to-end padding")
	fs.IntVar(&o.senders, "senders", 2, "users of a pair that send pings: 2 (both) or 1")
	fs.Float64Var(&o.rate, "rate", 0, "open loop: pings per second over all senders (with --duration)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "open loop: how long to send")
	fs.IntVar(&o.fanIn, "fan-in", 0, "fan-in: this many senders ping one receiver")
	fs.IntVar(&o.idle, "idle", 0, "hold this many authenticated idle connections")
	fs.IntVar(&o.idleUsers, "idle-users", 100, "idle/connect: registered accounts the connections resume as")
	fs.DurationVar(&o.hold, "hold", 5*time.Second, "idle: how long to hold the connections")
	fs.IntVar(&o.connect, "connect", 0, "connect rate: this many dial+handshake+Resume")
	fs.IntVar(&o.parallel, "parallel", 32, "connections set up at once")
	fs.StringVar(&relayList, "relay", "", "use the relay at `ADDR[,ADDR...]` (loopback only; several: nodes of one cluster sharing one key, the two users of a pair on different nodes); default: start one")
	fs.StringVar(&keyHex, "relay-key", "", "the relay's public key (`HEX`), shared by every node; required with --relay")
	fs.StringVar(&o.relayBin, "relay-bin", "", "p2p-relay binary to start (default: next to this program, then $PATH)")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "bound on the whole run")
	fs.DurationVar(&o.opTimeout, "op-timeout", 10*time.Second, "a ping without an echo after this long is a timeout")
	fs.BoolVar(&o.sharedSocket, "shared-socket", false, "all simulated users dial from one UDP socket (one quic.Transport) instead of one socket each")
	fs.IntVar(&o.gcPercent, "gc-percent", defaultGCPercent, "Go GC target percent of the load generator during the run (-1: off); the daemon is not affected")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the measured phase to `FILE`")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, err
	}
	if fs.NArg() != 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if err := o.parseRelay(relayList, keyHex); err != nil {
		return nil, err
	}
	return o, o.pickWorkload(set)
}

func (o *options) parseRelay(list, keyHex string) error {
	if list == "" {
		if keyHex != "" {
			return errors.New("--relay-key goes with --relay")
		}
		return nil
	}
	addrs := strings.Split(list, ",")
	if len(addrs) > maxNodes {
		return fmt.Errorf("--relay: at most %d addresses", maxNodes)
	}
	for _, a := range addrs {
		if err := checkLoopback(a); err != nil {
			return err
		}
	}
	o.relayAddrs = addrs
	k, err := parseKeyHex(keyHex)
	if err != nil {
		return fmt.Errorf("--relay-key: %w (use the hex key p2p-relay prints)", err)
	}
	o.relayKey = k
	return nil
}

// checkLoopback refuses any relay address that is not loopback.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--relay %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--relay %q: only loopback addresses (127.0.0.1, ::1, localhost) may be loaded", addr)
}

// pickWorkload chooses the workload from the flags given and checks limits.
func (o *options) pickWorkload(set map[string]bool) error {
	modes := 0
	for _, m := range []struct {
		flag, name string
	}{{"rate", workloadRate}, {"fan-in", workloadFanIn}, {"idle", workloadIdle}, {"connect", workloadConnect}} {
		if set[m.flag] {
			modes++
			o.workload = m.name
		}
	}
	if modes > 1 {
		return errors.New("choose one of --rate, --fan-in, --idle, --connect")
	}
	if modes == 0 {
		o.workload = workloadPingPong
	}
	return o.check()
}

func (o *options) check() error {
	switch {
	case o.pairs < 1 || 2*o.pairs > maxUsers:
		return fmt.Errorf("--pairs must be 1..%d", maxUsers/2)
	case o.rounds < 1 || o.rounds > maxRounds:
		return fmt.Errorf("--rounds must be 1..%d", maxRounds)
	case o.size < minSize || o.size > maxText:
		return fmt.Errorf("--size must be %d..%d", minSize, maxText)
	case o.senders != 1 && o.senders != 2:
		return errors.New("--senders must be 1 or 2")
	case o.workload == workloadRate && (o.rate <= 0 || o.rate > maxRate || o.duration <= 0):
		return fmt.Errorf("--rate must be in (0, %d] with a positive --duration", maxRate)
	case o.workload == workloadFanIn && (o.fanIn < 1 || o.fanIn >= maxUsers):
		return fmt.Errorf("--fan-in must be 1..%d", maxUsers-1)
	case o.workload == workloadIdle && (o.idle < 1 || o.idle > maxConns):
		return fmt.Errorf("--idle must be 1..%d", maxConns)
	case o.workload == workloadConnect && (o.connect < 1 || o.connect > maxConns):
		return fmt.Errorf("--connect must be 1..%d", maxConns)
	case o.idleUsers < 1 || o.idleUsers > maxUsers:
		return fmt.Errorf("--idle-users must be 1..%d", maxUsers)
	case o.parallel < 1 || o.parallel > maxParallel:
		return fmt.Errorf("--parallel must be 1..%d", maxParallel)
	case o.gcPercent < -1 || o.gcPercent == 0 || o.gcPercent > maxGCPercent:
		return fmt.Errorf("--gc-percent must be -1 or 1..%d", maxGCPercent)
	case o.timeout <= 0 || o.opTimeout <= 0 || o.hold < 0:
		return errors.New("--timeout and --op-timeout must be positive, --hold not negative")
	}
	return nil
}

// maxConnections is what a relay started here must allow from 127.0.0.1.
func (o *options) maxConnections() int {
	switch o.workload {
	case workloadIdle:
		return o.idle + 16
	case workloadConnect:
		return o.connect + o.idleUsers + 16
	case workloadFanIn:
		return o.fanIn + 17
	}
	return 2*o.pairs + 16
}
