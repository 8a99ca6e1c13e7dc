package link

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/hop"
	"github.com/securep2p/securep2p/wire/secp"
)

// oldRelay is a QUIC listener on 127.0.0.1 acting as a relay that speaks
// only protocol version 1: it answers a newer ClientHello with a cleartext
// Error{CodeVersion} (what such a relay sends) and runs hop.Server for a
// version-1 one, then keeps the frames it reads.
type oldRelay struct {
	addr string
	key  *secp.PrivateKey

	refuse wire.Code // the answer to a newer ClientHello

	mu     sync.Mutex
	hellos []uint64 // ClientHello versions, in arrival order
	frames []*wire.Frame
	change chan struct{}
}

func startOldRelay(t *testing.T) *oldRelay { t.Helper(); return startRefusing(t, wire.CodeVersion) }

// startRefusing is startOldRelay answering a newer ClientHello with code.
func startRefusing(t *testing.T, code wire.Code) *oldRelay {
	t.Helper()
	cert, _, _, err := hop.SelfSignedCert()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := quic.ListenAddr("127.0.0.1:0", hop.ServerTLSConfig(cert), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := &oldRelay{addr: ln.Addr().String(), key: newKey(t), refuse: code, change: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			qc, err := ln.Accept(ctx)
			if err != nil {
				return
			}
			wg.Go(func() { r.serve(ctx, qc) })
		}
	})
	t.Cleanup(func() { cancel(); _ = ln.Close(); wg.Wait() })
	return r
}

func (r *oldRelay) serve(ctx context.Context, qc *quic.Conn) {
	defer func() { _ = qc.CloseWithError(0, "done") }()
	st, err := qc.AcceptStream(ctx)
	if err != nil {
		return
	}
	hello, err := wire.ReadPacket(st, nil, hop.MaxHelloPacket)
	if err != nil {
		return
	}
	var f wire.Frame
	if wire.Unmarshal(hello, &f) != nil || f.ClientHello == nil {
		return
	}
	r.record(func() { r.hellos = append(r.hellos, f.ClientHello.Version) })
	if f.ClientHello.Version != 1 {
		refuseVersion(ctx, qc, st, r.refuse)
		return
	}
	binding, err := hop.Binding(qc.ConnectionState().TLS)
	if err != nil {
		return
	}
	replay, err := wire.AppendPacket(nil, hello, hop.MaxHelloPacket)
	if err != nil {
		return
	}
	rw := struct {
		io.Reader
		io.Writer
	}{io.MultiReader(bytes.NewReader(replay), st), st}
	hc, err := hop.Server(ctx, rw, binding, r.key)
	if err != nil {
		return
	}
	for {
		g := new(wire.Frame)
		if hc.ReadFrame(g) != nil {
			return
		}
		r.record(func() { r.frames = append(r.frames, g) })
		if g.Ping != nil && hc.WriteFrame(&wire.Frame{Pong: &wire.Pong{N: g.Ping.N}}) != nil {
			return
		}
	}
}

// refuseVersion writes the old relay's cleartext Error{code} (CodeVersion
// for an old relay) and waits for the client to close the connection
// (closing first could overtake the frame).
func refuseVersion(ctx context.Context, qc *quic.Conn, st *quic.Stream, code wire.Code) {
	b, err := wire.Marshal(&wire.Frame{Error: &wire.Error{Code: code, Message: "relay speaks protocol version 1"}})
	if err != nil {
		return
	}
	pkt, err := wire.AppendPacket(nil, b, hop.MaxHelloPacket)
	if err != nil {
		return
	}
	if _, err := st.Write(pkt); err != nil {
		return
	}
	_ = st.Close()
	select {
	case <-qc.Context().Done():
	case <-ctx.Done():
	}
}

func (r *oldRelay) record(fn func()) {
	r.mu.Lock()
	fn()
	r.mu.Unlock()
	select {
	case r.change <- struct{}{}:
	default:
	}
}

func (r *oldRelay) seen() (hellos []uint64, frames []*wire.Frame) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]uint64(nil), r.hellos...), append([]*wire.Frame(nil), r.frames...)
}

func countAcks(fs []*wire.Frame) int {
	k := 0
	for _, f := range fs {
		if f.Ack != nil {
			k++
		}
	}
	return k
}

// syncBuffer is a log sink safe for the link's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestFallbackToVersion1: a relay that refuses version 2 with CodeVersion
// is dialled again offering version 1 on a new QUIC connection; the link
// comes up on it at version 1, says so in the log, and sends Acks one by
// one.
func TestFallbackToVersion1(t *testing.T) {
	r := startOldRelay(t)
	rec := newRecorder()
	var logs syncBuffer
	cfg := baseConfig(rec, r.addr)
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	lk := run(t, cfg)
	waitConnected(t, rec, lk.l, r.addr)
	c := lk.l.Current()
	if c == nil || c.Version() != 1 {
		t.Fatalf("connection %v, want one at version 1", c)
	}
	if hellos, _ := r.seen(); len(hellos) != 2 || hellos[0] != wire.ProtocolVersion || hellos[1] != 1 {
		t.Fatalf("ClientHello versions %v, want [%d 1]", hellos, wire.ProtocolVersion)
	}
	if !strings.Contains(logs.String(), "relay speaks an older protocol") {
		t.Fatalf("no log line about the older relay in %q", logs.String())
	}
	const n = 20
	for i := 1; i <= n; i++ {
		if err := c.Write(context.Background(), ackFrame(i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, rec, "the Acks at the old relay", func() bool {
		select {
		case <-r.change:
		default:
		}
		_, fs := r.seen()
		return countAcks(fs) >= n
	})
	var got, want strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&want, "Ack[%d] ", i)
	}
	_, fs := r.seen()
	for _, f := range fs {
		if f.Ack != nil {
			got.WriteString(describe([]*wire.Frame{f}))
		}
	}
	if got.String() != want.String() {
		t.Fatalf("the old relay read %q, want %q", got.String(), want.String())
	}
}

// TestNoFallbackOnOtherErrors: a handshake refused with any code but
// CodeVersion is not retried at version 1: one ClientHello, the error
// returned.
func TestNoFallbackOnOtherErrors(t *testing.T) {
	for _, code := range []wire.Code{wire.CodeBadFrame, wire.CodeShuttingDown, wire.CodeBadKey} {
		r := startRefusing(t, code)
		tr, err := dialQUIC(context.Background(), r.addr, secp.PublicKey{}, time.Second)
		if err == nil {
			_ = tr.Close()
		}
		var re *wire.RemoteError
		if !errors.As(err, &re) || re.Code != code {
			t.Fatalf("refused with %v: dial error %v, want that code", code, err)
		}
		if hellos, _ := r.seen(); len(hellos) != 1 || hellos[0] != wire.ProtocolVersion {
			t.Fatalf("refused with %v: ClientHello versions %v, want [%d]", code, hellos, wire.ProtocolVersion)
		}
	}
}
