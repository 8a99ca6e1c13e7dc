package faultproxy

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"
)

// MaxDatagram is the largest datagram forwarded; larger reads are truncated
// by the socket and counted as received like any other.
const MaxDatagram = 64 << 10

// Config configures a [Proxy]. Only Upstream is required.
type Config struct {
	Listen     string                           // UDP address to listen on; default "127.0.0.1:0"
	Upstream   string                           // HOST:PORT every flow is forwarded to (required)
	Seed       uint64                           // fault seed; 0 picks a random one (see Proxy.Seed)
	Up, Down   Faults                           // initial faults toward the upstream and toward clients; default none
	MaxFlows   int                              // client flows kept at once (least recently used evicted); default 64
	MaxPending int                              // delayed or held datagrams at once (beyond: dropped, counted); default 4096
	HoldMax    time.Duration                    // longest a reordered datagram waits for its successor; default 50ms
	Logf       func(format string, args ...any) // flow events; default none
}

func (c *Config) populate() error {
	if c.Upstream == "" {
		return errors.New("faultproxy: Upstream is required")
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:0"
	}
	if c.MaxFlows <= 0 {
		c.MaxFlows = 64
	}
	if c.MaxPending <= 0 {
		c.MaxPending = 4096
	}
	if c.HoldMax <= 0 {
		c.HoldMax = 50 * time.Millisecond
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	for c.Seed == 0 {
		var b [8]byte
		rand.Read(b[:])
		c.Seed = binary.LittleEndian.Uint64(b[:])
	}
	return nil
}

// Proxy forwards UDP datagrams between clients and one upstream, applying
// faults. Create it with [New], serve with [Proxy.Run]; the setters are safe
// to call concurrently with Run.
type Proxy struct {
	cfg   Config
	pc    *net.UDPConn
	stats [2]dirStats
	pend  pending
	wg    sync.WaitGroup

	mu         sync.Mutex // guards everything below
	faults     [2]Faults
	blackOn    bool
	blackUntil time.Time
	upstream   netip.AddrPort
	flows      map[netip.AddrPort]*flow
	nextFlow   uint64
	closed     bool
}

// New binds the listening socket (so [Proxy.Addr] is known at once).
func New(cfg Config) (*Proxy, error) {
	if err := cfg.populate(); err != nil {
		return nil, err
	}
	up, err := resolve(cfg.Upstream)
	if err != nil {
		return nil, err
	}
	la, err := net.ResolveUDPAddr("udp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen address: %w", err)
	}
	pc, err := net.ListenUDP("udp", la)
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	p := &Proxy{cfg: cfg, pc: pc, upstream: up, flows: map[netip.AddrPort]*flow{}}
	p.faults = [2]Faults{cfg.Up, cfg.Down}
	p.pend.max = int64(cfg.MaxPending)
	return p, nil
}

func resolve(addr string) (netip.AddrPort, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("faultproxy: upstream address: %w", err)
	}
	return ua.AddrPort(), nil
}

// Addr is the listening address (HOST:PORT) clients dial instead of the
// upstream.
func (p *Proxy) Addr() string { return p.pc.LocalAddr().String() }

// Seed is the seed every fault decision derives from.
func (p *Proxy) Seed() uint64 { return p.cfg.Seed }

// Run forwards until ctx is done, then closes every socket and returns nil.
func (p *Proxy) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { p.pc.Close() })
	defer stop()
	defer p.shutdown()
	buf := make([]byte, MaxDatagram)
	for {
		n, from, err := p.pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("faultproxy: read: %w", err)
		}
		f, err := p.flowFor(from)
		if err != nil {
			p.cfg.Logf("faultproxy: %v", err)
			continue
		}
		f.streams[Up].handle(append([]byte(nil), buf[:n]...))
	}
}

func (p *Proxy) shutdown() {
	p.pc.Close()
	p.mu.Lock()
	p.closed = true
	p.closeFlowsLocked()
	p.mu.Unlock()
	p.wg.Wait()
}

// SetFaults replaces the faults of one direction.
func (p *Proxy) SetFaults(dir Direction, f Faults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults[dir] = f
}

// SetBlackhole drops every datagram, both ways, while on.
func (p *Proxy) SetBlackhole(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blackOn = on
}

// Blackhole drops every datagram, both ways, for d from now.
func (p *Proxy) Blackhole(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blackUntil = time.Now().Add(d)
}

// SetUpstream sends every flow to addr from now on: existing flows are
// closed, so clients' next datagrams open new flows to the new upstream.
func (p *Proxy) SetUpstream(addr string) error {
	up, err := resolve(addr)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.upstream = up
	p.closeFlowsLocked()
	return nil
}

// current returns the faults of dir and whether traffic is blackholed.
func (p *Proxy) current(dir Direction) (Faults, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faults[dir], p.blackOn || time.Now().Before(p.blackUntil)
}
