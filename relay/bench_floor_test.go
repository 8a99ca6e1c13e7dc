package relay

import (
	"context"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/securep2p/securep2p/wire/hop"
)

// BenchmarkQUICEchoFloor is the floor under every round trip through the
// relay: plain quic-go on loopback, one stream, a 300-byte message echoed
// back (two one-way hops, no relay, no hop layer, no end-to-end crypto),
// with the relay's TLS and QUIC settings, both ends in this process. A
// ping-pong through the relay is four such hops plus the relay's and both
// clients' work; rtt-p50-µs here times two is what QUIC alone costs of it.
func BenchmarkQUICEchoFloor(b *testing.B) {
	cert, _, _, err := hop.SelfSignedCert()
	if err != nil {
		b.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Close()
	srv := &Server{cfg: Config{HandshakeTimeout: 10 * time.Second, IdleTimeout: time.Minute}}
	ln, err := (&quic.Transport{Conn: pc}).Listen(hop.ServerTLSConfig(cert), srv.quicConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go echoFirstStream(ln)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := quic.DialAddr(ctx, pc.LocalAddr().String(), hop.ClientTLSConfig(), &quic.Config{MaxIdleTimeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	defer conn.CloseWithError(0, "")
	st, err := conn.OpenStreamSync(ctx)
	if err != nil {
		b.Fatal(err)
	}
	msg := make([]byte, 300)
	took := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := st.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(st, msg); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Nanoseconds())/1e3, "rtt-p50-µs")
}

// echoFirstStream echoes the first stream of the first connection.
func echoFirstStream(ln *quic.Listener) {
	conn, err := ln.Accept(context.Background())
	if err != nil {
		return
	}
	st, err := conn.AcceptStream(context.Background())
	if err != nil {
		return
	}
	buf := make([]byte, 300)
	for {
		if _, err := io.ReadFull(st, buf); err != nil {
			return
		}
		if _, err := st.Write(buf); err != nil {
			return
		}
	}
}
