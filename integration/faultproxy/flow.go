package faultproxy

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// flow is one client's traffic: its own socket toward the upstream (so the
// upstream sees one address per client) and one stream per direction.
type flow struct {
	id       uint64
	client   netip.AddrPort
	conn     *net.UDPConn
	streams  [2]*stream
	lastUsed time.Time
}

// flowFor returns the flow of client, creating it (and evicting the least
// recently used flow when MaxFlows are open).
func (p *Proxy) flowFor(client netip.AddrPort) (*flow, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, fmt.Errorf("proxy closed")
	}
	if f := p.flows[client]; f != nil {
		f.lastUsed = time.Now()
		return f, nil
	}
	if len(p.flows) >= p.cfg.MaxFlows {
		p.evictLocked()
	}
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(p.upstream))
	if err != nil {
		return nil, fmt.Errorf("dial upstream: %w", err)
	}
	f := &flow{id: p.nextFlow, client: client, conn: conn, lastUsed: time.Now()}
	p.nextFlow++
	f.streams[Up] = p.newStream(f, Up, func(b []byte) { conn.Write(b) })
	f.streams[Down] = p.newStream(f, Down, func(b []byte) { p.pc.WriteToUDPAddrPort(b, client) })
	p.flows[client] = f
	p.wg.Add(1)
	go p.readUpstream(f)
	p.cfg.Logf("faultproxy: flow %d from %s to %s", f.id, client, p.upstream)
	return f, nil
}

// readUpstream forwards the upstream's datagrams of f to its client until
// the flow is closed.
func (p *Proxy) readUpstream(f *flow) {
	defer p.wg.Done()
	buf := make([]byte, MaxDatagram)
	for {
		n, err := f.conn.Read(buf)
		if errors.Is(err, syscall.ECONNREFUSED) {
			continue // ICMP port unreachable: the upstream is restarting
		}
		if err != nil {
			return // closed
		}
		f.streams[Down].handle(append([]byte(nil), buf[:n]...))
	}
}

func (p *Proxy) evictLocked() {
	var old *flow
	for _, f := range p.flows {
		if old == nil || f.lastUsed.Before(old.lastUsed) {
			old = f
		}
	}
	if old != nil {
		p.closeFlowLocked(old)
	}
}

func (p *Proxy) closeFlowLocked(f *flow) {
	delete(p.flows, f.client)
	f.conn.Close()
	for _, s := range f.streams {
		s.close()
	}
}

func (p *Proxy) closeFlowsLocked() {
	for _, f := range p.flows {
		p.closeFlowLocked(f)
	}
}
