package relay

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/securep2p/securep2p/wire/hop"
	"github.com/securep2p/securep2p/wire/secp"
)

// Files in the state directory.
const (
	KeyFile      = "relay.key" // the relay's secp256k1 key: 32 raw bytes, mode 0600
	CertFile     = "cert.pem"  // TLS certificate (self-signed unless the operator's)
	CertKeyFile  = "key.pem"   // TLS private key, mode 0600
	DatabaseFile = "relay.db"  // the bbolt store, mode 0600
	stateDirName = "securep2p-relay"
)

// DefaultStateDir is $XDG_STATE_HOME/securep2p-relay, else
// ~/.local/state/securep2p-relay, else ./securep2p-relay when there is no
// home directory.
func DefaultStateDir() string {
	if x := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, stateDirName)
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		return filepath.Join(home, ".local", "state", stateDirName)
	}
	return stateDirName
}

// LoadOrCreateKey reads the relay key from path, or creates one there
// (0600, atomic write) when the file does not exist.
func LoadOrCreateKey(path string) (*secp.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		k, perr := secp.ParsePrivateKey(b)
		clear(b)
		if perr != nil {
			return nil, fmt.Errorf("relay: key file %s: %w", path, perr)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("relay: read key: %w", err)
	}
	k, err := secp.GeneratePrivateKey()
	if err != nil {
		return nil, err
	}
	raw := k.Bytes()
	defer clear(raw)
	if err := writeFileAtomic(path, raw, 0o600); err != nil {
		return nil, err
	}
	return k, nil
}

// LoadOrCreateCert loads the TLS certificate and key from certPath and
// keyPath, or creates a self-signed pair there when neither exists.
func LoadOrCreateCert(certPath, keyPath string) (tls.Certificate, error) {
	_, cerr := os.Stat(certPath)
	_, kerr := os.Stat(keyPath)
	if errors.Is(cerr, fs.ErrNotExist) && errors.Is(kerr, fs.ErrNotExist) {
		cert, certPEM, keyPEM, err := hop.SelfSignedCert()
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("relay: create certificate: %w", err)
		}
		defer clear(keyPEM)
		if err := writeFileAtomic(keyPath, keyPEM, 0o600); err != nil {
			return tls.Certificate{}, err
		}
		if err := writeFileAtomic(certPath, certPEM, 0o644); err != nil {
			return tls.Certificate{}, err
		}
		return cert, nil
	}
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("relay: load certificate: %w", err)
	}
	return cert, nil
}

// writeFileAtomic writes data to a temporary file in path's directory with
// mode perm, fsyncs it, renames it over path and fsyncs the directory.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("relay: write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("relay: write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("relay: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("relay: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("relay: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("relay: write %s: %w", path, err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
