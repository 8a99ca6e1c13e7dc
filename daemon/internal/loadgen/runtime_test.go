package loadgen

import "testing"

// TestSharedSocketLongConnectionIDs: with --shared-socket every simulated
// user's connection is demultiplexed by the connection ID it chose. With
// quic-go's default of 4 random bytes, the tens of thousands of IDs of a
// 10,000-connection run collide now and then, and quic-go then routes one
// connection's packets to the other: a handshake that never completes
// ("no Welcome within 10s") or a connection that falls silent. The same
// collision on the relay's side was measured with `p2pd bench --idle
// 10000`: about one failed connection in ten runs with 4-byte IDs, about
// ten per run with 3 bytes, hundreds with 2, none in ten runs with 16.
func TestSharedSocketLongConnectionIDs(t *testing.T) {
	tr, err := openSocket(true)
	if err != nil {
		t.Fatal(err)
	}
	defer closeSocket(tr)
	if tr.ConnectionIDLength < 16 {
		t.Fatalf("shared socket chooses %d-byte connection IDs (0: quic-go's default of 4), want at least 16",
			tr.ConnectionIDLength)
	}
}
