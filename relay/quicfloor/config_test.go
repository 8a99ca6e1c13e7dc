package quicfloor

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"time"

	"github.com/quic-go/quic-go"
)

// The relay's settings, copied by value (relay/transport.go, relay/config.go
// defaults, wire/hop/tls.go, daemon/internal/link/transport.go) so this
// package imports neither relay nor hop.
const (
	alpn             = "securep2p/1"             // hop.ALPN
	sealedFrameMax   = 4 + 8 + 16 + 64<<10       // hop.Overhead + wire.MaxFrameSize
	initialWindow    = 2 * sealedFrameMax        // relay initialWindow
	maxWindow        = 8 * sealedFrameMax        // relay maxWindow
	handshakeTimeout = 10 * time.Second          // relay Config.HandshakeTimeout default
	idleTimeout      = time.Minute               // relay Config.IdleTimeout default
	connIDLength     = 16                        // relay connIDLength
	clientKeepAlive  = 15 * time.Second          // link Config.KeepAlive default
	clientIdle       = 3 * clientKeepAlive       // link quicConfig
	certValidity     = 10 * 365 * 24 * time.Hour // hop: about ten years
	certName         = "securep2p-relay"         // hop.SelfSignedCert DNS name
	certCommonName   = "securep2p relay"         // hop.SelfSignedCert subject
	alpnRequiredText = "quicfloor: ALPN " + alpn + " required"
)

// serverQUIC is the relay's quic.Config (Server.quicConfig).
func serverQUIC() *quic.Config {
	return &quic.Config{
		HandshakeIdleTimeout:           handshakeTimeout,
		MaxIdleTimeout:                 idleTimeout,
		MaxIncomingStreams:             1,
		MaxIncomingUniStreams:          -1,
		InitialStreamReceiveWindow:     initialWindow,
		MaxStreamReceiveWindow:         maxWindow,
		InitialConnectionReceiveWindow: initialWindow,
		MaxConnectionReceiveWindow:     maxWindow,
		Allow0RTT:                      false,
	}
}

// clientQUIC is the daemon link's quic.Config.
func clientQUIC() *quic.Config {
	return &quic.Config{KeepAlivePeriod: clientKeepAlive, MaxIdleTimeout: clientIdle}
}

// serverTLS is hop.ServerTLSConfig with session tickets off (Server.tlsConfig).
func serverTLS(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:             tls.VersionTLS13,
		MaxVersion:             tls.VersionTLS13,
		NextProtos:             []string{alpn},
		Certificates:           []tls.Certificate{cert},
		VerifyConnection:       verifyConnection,
		SessionTicketsDisabled: true,
	}
}

// clientTLS is hop.ClientTLSConfig: the relay is authenticated by the hop
// layer there, by nothing here.
func clientTLS() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		MaxVersion:         tls.VersionTLS13,
		NextProtos:         []string{alpn},
		InsecureSkipVerify: true,
		VerifyConnection:   verifyConnection,
	}
}

func verifyConnection(cs tls.ConnectionState) error {
	if cs.Version != tls.VersionTLS13 || cs.NegotiatedProtocol != alpn {
		return errors.New(alpnRequiredText)
	}
	return nil
}

// selfSignedCert is hop.SelfSignedCert's certificate: ECDSA P-256.
func selfSignedCert() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: certCommonName},
		DNSNames:     []string{certName},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// listen opens the forwarder's listener as the relay opens its own: a UDP
// socket, a quic.Transport with 16-byte connection IDs and a stateless
// reset key (random here, derived from the relay key there). Close the
// transport, then the socket.
func listen() (*quic.Transport, *quic.Listener, error) {
	cert, err := selfSignedCert()
	if err != nil {
		return nil, nil, err
	}
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, nil, err
	}
	var key quic.StatelessResetKey
	_, _ = rand.Read(key[:])
	tr := &quic.Transport{Conn: pc, StatelessResetKey: &key, ConnectionIDLength: connIDLength}
	ln, err := tr.Listen(serverTLS(cert), serverQUIC())
	if err != nil {
		_ = pc.Close()
		return nil, nil, err
	}
	return tr, ln, nil
}
