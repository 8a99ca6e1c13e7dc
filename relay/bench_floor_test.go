package relay

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
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
	ln, err := listenEcho()
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go echoFirstStream(ln)
	measureEcho(b, ln.Addr().String())
}

// BenchmarkQUICEchoFloorTwoProcesses is BenchmarkQUICEchoFloor with the
// echoing end in a child process (this test binary run again), as the
// relay and the daemons are: every hop then wakes another process.
func BenchmarkQUICEchoFloorTwoProcesses(b *testing.B) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestQUICEchoChild$")
	cmd.Env = append(os.Environ(), echoChildEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "echo on ")
	if err != nil || !ok {
		b.Fatalf("echo child: %q, %v", line, err)
	}
	measureEcho(b, addr)
}

const echoChildEnv = "SECUREP2P_QUIC_ECHO_CHILD"

// TestQUICEchoChild is the child of BenchmarkQUICEchoFloorTwoProcesses; it
// does nothing unless that benchmark started it.
func TestQUICEchoChild(t *testing.T) {
	if os.Getenv(echoChildEnv) == "" {
		return
	}
	ln, err := listenEcho()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("echo on %s\n", ln.Addr())
	echoFirstStream(ln)
}

// listenEcho listens on loopback with the relay's TLS and QUIC settings.
func listenEcho() (*quic.Listener, error) {
	cert, _, _, err := hop.SelfSignedCert()
	if err != nil {
		return nil, err
	}
	srv := &Server{cfg: Config{HandshakeTimeout: 10 * time.Second, IdleTimeout: time.Minute}}
	return quic.ListenAddr("127.0.0.1:0", hop.ServerTLSConfig(cert), srv.quicConfig())
}

// measureEcho dials addr and times b.N echoes of a 300-byte message,
// reporting the median round trip.
func measureEcho(b *testing.B, addr string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := quic.DialAddr(ctx, addr, hop.ClientTLSConfig(), &quic.Config{MaxIdleTimeout: time.Minute})
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
