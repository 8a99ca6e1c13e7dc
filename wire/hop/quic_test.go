package hop

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

func listenQUIC(t *testing.T) *quic.Listener {
	t.Helper()
	cert, _, _, err := SelfSignedCert()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := quic.ListenAddr("127.0.0.1:0", ServerTLSConfig(cert), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

type relaySide struct {
	binding []byte
	err     error
}

// serveOne accepts one connection and stream, runs Server and answers
// every Ping with a Pong and one Deliver.
func serveOne(ctx context.Context, ln *quic.Listener, key *secp.PrivateKey, out chan<- relaySide) {
	conn, err := ln.Accept(ctx)
	if err != nil {
		out <- relaySide{err: err}
		return
	}
	defer conn.CloseWithError(0, "")
	st, err := conn.AcceptStream(ctx)
	if err != nil {
		out <- relaySide{err: err}
		return
	}
	b, err := Binding(conn.ConnectionState().TLS)
	if err != nil {
		out <- relaySide{err: err}
		return
	}
	hc, err := Server(ctx, st, b, key)
	if err == nil {
		err = echo(hc)
	}
	out <- relaySide{binding: b, err: err}
	<-ctx.Done() // keep the connection until the client is done
}

func echo(hc *Conn) error {
	var f wire.Frame
	if err := hc.ReadFrame(&f); err != nil {
		return err
	}
	if err := hc.WriteFrame(&wire.Frame{Pong: &wire.Pong{N: f.Ping.N}}); err != nil {
		return err
	}
	return hc.WriteFrame(&wire.Frame{Deliver: &wire.Deliver{
		ID: make([]byte, 16), From: "alice", Body: bytes.Repeat([]byte{7}, 200), SentAt: 1,
	}})
}

func TestQUICHandshake(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ln, key := listenQUIC(t), newKey(t)
	relay := make(chan relaySide, 1)
	go serveOne(ctx, ln, key, relay)

	conn, err := quic.DialAddr(ctx, ln.Addr().String(), ClientTLSConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseWithError(0, "")
	st, err := conn.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Binding(conn.ConnectionState().TLS)
	if err != nil {
		t.Fatal(err)
	}
	hc, err := Client(ctx, st, b, key.Public())
	if err != nil {
		t.Fatal(err)
	}
	if err := hc.WriteFrame(ping(42)); err != nil {
		t.Fatal(err)
	}
	var pong, deliver wire.Frame
	if err := hc.ReadFrame(&pong); err != nil || pong.Pong == nil || pong.Pong.N != 42 {
		t.Fatalf("pong: %+v, %v", pong, err)
	}
	if err := hc.ReadFrame(&deliver); err != nil || deliver.Deliver == nil || len(deliver.Deliver.Body) != 200 {
		t.Fatalf("deliver: %+v, %v", deliver, err)
	}
	r := <-relay
	if r.err != nil {
		t.Fatalf("relay: %v", r.err)
	}
	if !bytes.Equal(r.binding, b) {
		t.Fatal("the two ends computed different exporter values on one connection")
	}
}

func TestQUICWrongALPN(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ln := listenQUIC(t)
	go func() { _, _ = ln.Accept(ctx) }()
	cfg := ClientTLSConfig()
	cfg.NextProtos = []string{"h3"}
	if conn, err := quic.DialAddr(ctx, ln.Addr().String(), cfg, nil); err == nil {
		conn.CloseWithError(0, "")
		t.Fatal("a connection with another ALPN was accepted")
	}
}

func TestBindingRefusesIncompleteHandshake(t *testing.T) {
	if _, err := Binding(tls.ConnectionState{}); err == nil {
		t.Fatal("binding of an unfinished handshake")
	}
	if _, err := Binding(tls.ConnectionState{HandshakeComplete: true, Version: tls.VersionTLS12}); err == nil {
		t.Fatal("binding of a TLS 1.2 connection")
	}
}

func TestTLSConfigs(t *testing.T) {
	c := ClientTLSConfig()
	if c.MinVersion != tls.VersionTLS13 || c.NextProtos[0] != ALPN || c.VerifyConnection == nil {
		t.Fatal("client config is not TLS 1.3 + ALPN + VerifyConnection")
	}
	if err := c.VerifyConnection(tls.ConnectionState{Version: tls.VersionTLS13, NegotiatedProtocol: "h3"}); err == nil {
		t.Fatal("VerifyConnection accepted another ALPN")
	}
	if err := c.VerifyConnection(tls.ConnectionState{Version: tls.VersionTLS12, NegotiatedProtocol: ALPN}); err == nil {
		t.Fatal("VerifyConnection accepted TLS 1.2")
	}
}

func TestSelfSignedCert(t *testing.T) {
	cert, certPEM, keyPEM, err := SelfSignedCert()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Fatalf("PEMs do not load back: %v", err)
	}
	blk, _ := pem.Decode(certPEM)
	x, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if years := x.NotAfter.Sub(x.NotBefore).Hours() / 24 / 365; years < 9.9 {
		t.Fatalf("certificate valid for %.1f years", years)
	}
	if x.PublicKeyAlgorithm != x509.ECDSA || len(cert.Certificate) != 1 {
		t.Fatal("not a single ECDSA certificate")
	}
}
