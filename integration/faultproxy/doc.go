// Package faultproxy is a seeded UDP fault injector for SecureP2P's
// integration tests: it sits on loopback between daemons and a relay and
// forwards QUIC datagrams with configurable loss, delay, duplication,
// reordering, byte flipping (a tampering relay path) and blackhole windows.
//
// # What it owns
//
// [Proxy] (New, Run, Addr, Seed, SetFaults, SetBlackhole, Blackhole,
// SetUpstream, Stats) and [Faults], the per-direction fault rates, plus the
// pure decision function that turns a seed and a datagram sequence into
// fault decisions.
//
// # What it promises
//
// Decisions are deterministic: each (flow, direction) stream draws from its
// own PCG generator seeded from the proxy seed, the flow number (in order of
// first datagram) and the direction, so the same seed and the same datagram
// sequence on a flow give the same drops, duplicates, flips and holds. The
// seed is reported by [Proxy.Seed] so a failing run can be replayed. Every
// resource is bounded: at most Config.MaxFlows client flows, datagrams of at
// most MaxDatagram bytes, at most one held datagram per stream, and delayed
// datagrams are capped by Config.MaxPending.
//
// # What it does not do
//
// It never parses or decrypts what it forwards, listens only where it is
// told (tests use 127.0.0.1), and is not meant for production traffic.
// Timing faults (delay, jitter, hold) are as precise as the Go timer.
package faultproxy
