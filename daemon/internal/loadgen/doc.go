// Package loadgen is the load generator behind `p2pd bench`: many simulated
// users in one process, each with its own QUIC connection to a relay, driving
// the real client code paths — QUIC, the hop channel (wire/hop, through the
// daemon's own relay link, daemon/internal/link), registration, bundle fetch
// + X3DH and the double ratchet (daemon/internal/e2e) — and reporting
// throughput, round-trip latency and the relay's CPU and memory as one JSON
// object. [Main] is the whole entry point; BENCHMARKS.md beside this file
// holds the measured numbers.
//
// # Workloads
//
//   - ping-pong (--pairs N --rounds R --size B): each user of a pair sends an
//     end-to-end encrypted text, waits for the peer's echo, sends again;
//   - open loop (--rate MSGS/S --duration D): the same pairs, pings sent on a
//     fixed schedule whether or not echoes came back;
//   - fan-in (--fan-in N): N senders ping one receiver, which echoes;
//   - idle (--idle N): N authenticated connections held open, relay RSS per
//     connection reported (over all of them, and per connection beyond the
//     --idle-users accounts' own: relay_rss_per_extra_conn_bytes; the RSS
//     before those includes Argon2id memory the relay freed but may still
//     hold, which the extra connections can reuse);
//   - connect (--connect N): N dial + QUIC + hop handshake + Resume.
//
// The peer decrypts every ping, echoes it re-encrypted and Acks every
// delivery, as a daemon would (without the daemon's disk store).
//
// # Client-side settings
//
// --shared-socket (default false) dials every simulated user's QUIC
// connection from one quic.Transport: one UDP socket and one receive loop
// for the process instead of one per user (as separate daemons have), so
// received packets are batched across users (recvmmsg). The connections,
// their handshakes and their frames are the same. Measured, it sends
// more QUIC packets per message and showed no CPU saving beyond the noise
// (BENCHMARKS.md), hence off by default.
// --gc-percent (default 400) sets the Go GC target of the load generator
// for the run: hundreds of users share one heap here, unlike a daemon.
// Both appear in the JSON result (shared_socket, gc_percent).
//
// # Several relay nodes
//
// --relay A,B,C names the nodes of one relay deployment (relay nodes on
// NATS JetStream sharing accounts, mailboxes and one relay key, which
// --relay-key pins). Each simulated user connects to one node and
// registers there: the responder of pair i on node i mod N, its initiator
// on the next node, so that every message crosses between two nodes;
// fan-in senders avoid the receiver's node 0; idle and connect
// connections go round the nodes. The result adds relay_nodes and
// conns_per_node. There is no failover between the nodes: a lost
// connection is an error, as with one relay.
//
// # What it promises
//
//   - It targets loopback only: every --relay address must be 127.0.0.1,
//     ::1 or localhost; a relay it starts itself listens on 127.0.0.1 with
//     its state in a temporary directory that is removed afterwards.
//   - Every loop is bounded in count and in time (--timeout, default 2m; a
//     missing echo counts as a timeout after --op-timeout).
//   - Account passwords are random per run and never printed; no key or
//     plaintext is logged.
//
// # What it does not do
//
// It does not store messages or sessions (no disk I/O on the client side),
// handle identity-key changes or retry failed sends: every failure is
// counted in "errors" or "timeouts". Against a relay given by --relay the
// relay's own limits apply (connections per address, authentication rate):
// raise them there for large runs.
package loadgen
