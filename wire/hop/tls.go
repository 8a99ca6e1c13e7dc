package hop

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// certValidity is the lifetime of a self-signed relay certificate.
const certValidity = 10 * 365 * 24 * time.Hour

// Binding returns the channel binding of a TLS 1.3 connection: 32 bytes of
// the exporter with label [BindingLabel] and no context (RFC 8446 7.5).
// Each end calls it on its own connection state; the values agree only when
// no one sits between them.
func Binding(cs tls.ConnectionState) ([]byte, error) {
	if !cs.HandshakeComplete {
		return nil, errors.New("hop: binding: TLS handshake not complete")
	}
	if cs.Version != tls.VersionTLS13 {
		return nil, errors.New("hop: binding: connection is not TLS 1.3")
	}
	b, err := cs.ExportKeyingMaterial(BindingLabel, nil, BindingSize)
	if err != nil {
		return nil, fmt.Errorf("hop: binding: %w", err)
	}
	return b, nil
}

// ClientTLSConfig is the daemon's TLS configuration for the relay: TLS 1.3
// only, ALPN [ALPN]. The certificate chain is deliberately not verified
// (InsecureSkipVerify): the relay is authenticated by its pinned hop key in
// the handshake, which also binds this TLS connection through [Binding]. A
// VerifyConnection hook still refuses anything but TLS 1.3 with our ALPN.
func ClientTLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		MaxVersion:         tls.VersionTLS13,
		NextProtos:         []string{ALPN},
		InsecureSkipVerify: true, // relay authenticated by the hop key + channel binding
		VerifyConnection:   verifyConnection,
	}
}

// ServerTLSConfig is the relay's TLS configuration: TLS 1.3 only, ALPN
// [ALPN] required, the given certificate.
func ServerTLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:       tls.VersionTLS13,
		MaxVersion:       tls.VersionTLS13,
		NextProtos:       []string{ALPN},
		Certificates:     []tls.Certificate{cert},
		VerifyConnection: verifyConnection,
	}
}

func verifyConnection(cs tls.ConnectionState) error {
	if cs.Version != tls.VersionTLS13 {
		return errors.New("hop: TLS 1.3 required")
	}
	if cs.NegotiatedProtocol != ALPN {
		return fmt.Errorf("hop: ALPN %q required", ALPN)
	}
	return nil
}

// SelfSignedCert makes a relay certificate: ECDSA P-256, valid for about ten
// years. certPEM ("CERTIFICATE") and keyPEM ("PRIVATE KEY", PKCS#8) are for
// the relay's state directory; load them back with tls.X509KeyPair.
func SelfSignedCert() (cert tls.Certificate, certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, nil, fmt.Errorf("hop: certificate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, nil, nil, fmt.Errorf("hop: certificate serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "securep2p relay"},
		DNSNames:     []string{"securep2p-relay"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, nil, fmt.Errorf("hop: create certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tls.Certificate{}, nil, nil, fmt.Errorf("hop: encode certificate key: %w", err)
	}
	defer clear(pkcs8)
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	cert, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, nil, nil, fmt.Errorf("hop: load certificate: %w", err)
	}
	return cert, certPEM, keyPEM, nil
}
