// Package quicfloor measures the ceiling plain quic-go reaches on this
// machine in exactly the shape of `p2pd bench --pairs 200 --rounds 50
// --size 200`: many client connections, each with its own UDP socket and
// one bidirectional stream, in one process; a forwarder in another process
// (this test binary run again) that pairs connection 2i with 2i+1 and
// copies every length-prefixed message from one to the other; closed-loop
// ping-pong of one message at a time per pair.
//
// It owns only test code: this file (the package comment) and _test.go
// files. Nothing imports it. The forwarder copies the relay's QUIC and TLS
// settings (relay/transport.go, wire/hop/tls.go) by value instead of
// importing them, so it measures quic-go itself: no hop handshake, no
// end-to-end crypto, no acknowledgements, no store. Variants add one thing
// each: what the hop layer costs per frame (AES-256-GCM sealed at each
// client, opened and re-sealed by the forwarder each way, with a fixed test
// key); a writer goroutine per connection as the relay's session writer;
// and the relay protocol's Ack and Accepted frames (four frames per message
// instead of two), as tiny frames with no store behind them.
//
// # What it promises
//
//   - Loopback only (127.0.0.1); every loop is bounded in count, every run
//     in time (a hang fails the benchmark instead of blocking it).
//   - Every message is checked at the partner (pair, sequence number,
//     content) and every echo at the sender, so a benchmark that reports a
//     number also delivered every message intact and in order.
//   - A message's declared length is checked against a hard maximum before
//     anything is allocated; a sealed message's counter must be the next
//     one expected (no replay, no reordering).
//
// # What it does not do
//
// It is not a relay and offers no security: the AEAD key is a fixed test
// constant, there is no authentication and no key exchange. It never
// touches the disk. Its numbers are a floor under the relay's cost and a
// ceiling over its throughput, not a prediction of either.
package quicfloor
