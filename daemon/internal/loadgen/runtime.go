package loadgen

import (
	"fmt"
	"net"
	"runtime/debug"

	"github.com/quic-go/quic-go"
)

// defaultGCPercent is --gc-percent's default. The load generator keeps
// hundreds of simulated users (sessions, QUIC connections) in one heap
// and allocates per message; a larger GC target trades memory (a few
// hundred MiB at 400 users) for less collector CPU. It applies to the
// bench run only, never to the daemon.
const defaultGCPercent = 400

// setGCPercent applies --gc-percent and returns the function that restores
// the previous setting (Main also runs inside tests).
func setGCPercent(pct int) (restore func()) {
	old := debug.SetGCPercent(pct)
	return func() { debug.SetGCPercent(old) }
}

// sharedConnIDLength is the length of the connection IDs the shared
// socket's connections choose for themselves (what the relay addresses
// its packets to). quic-go's default is 4 random bytes; among the tens of
// thousands of IDs of a 10,000-connection run (each connection has up to
// four) such IDs collide (birthday bound), and quic-go v0.65's transport
// does not survive a collision: the connections' packets are then routed
// to the wrong connection and dropped (a handshake that never completes,
// or a connection that falls silent). 16 bytes (RFC 9000 allows 20) make
// a collision negligible. A link with its own socket is not affected: a
// single-use transport uses zero-length IDs.
const sharedConnIDLength = 16

// openSocket opens the one UDP socket (quic.Transport) every simulated
// user dials from with --shared-socket, or returns nil without it (each
// user's link then opens its own socket, as a real daemon does). quic-go
// tells the connections apart by connection ID, so sharing changes only
// the number of sockets and of receive loops, not the QUIC protocol.
func openSocket(shared bool) (*quic.Transport, error) {
	if !shared {
		return nil, nil
	}
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("shared socket: %w", err)
	}
	return &quic.Transport{Conn: udp, ConnectionIDLength: sharedConnIDLength}, nil
}

// closeSocket closes a shared transport and its socket (after every user
// stopped).
func closeSocket(tr *quic.Transport) {
	if tr == nil {
		return
	}
	_ = tr.Close()
	_ = tr.Conn.Close()
}
