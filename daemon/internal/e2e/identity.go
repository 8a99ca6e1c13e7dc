package e2e

import (
	"fmt"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

// newPrivateKey is the only source of fresh keys in this package. Tests
// replace it to produce deterministic vectors (see vectors_test.go).
var newPrivateKey = secp.GeneratePrivateKey

// Identity is a user's long-term identity key pair. It signs prekeys and
// takes part in session setup; it never appears in a session's state.
type Identity struct {
	_   [0]func() // not comparable
	key *secp.PrivateKey
}

// identityBlob is the stored form of an Identity.
type identityBlob struct {
	Version uint8  `cbor:"1,keyasint"`
	Private []byte `cbor:"2,keyasint"` // 32 bytes
}

// NewIdentity generates a fresh identity key.
func NewIdentity() (*Identity, error) {
	k, err := newPrivateKey()
	if err != nil {
		return nil, fmt.Errorf("e2e: new identity: %w", err)
	}
	return &Identity{key: k}, nil
}

// IdentityFromKey wraps an existing private key (the caller keeps it alive).
func IdentityFromKey(k *secp.PrivateKey) *Identity { return &Identity{key: k} }

// Key returns the private key, for callers that sign with it (hop resume).
func (id *Identity) Key() *secp.PrivateKey { return id.key }

// Public returns the identity public key.
func (id *Identity) Public() secp.PublicKey { return id.key.Public() }

// String prints only the public fingerprint.
func (id *Identity) String() string { return "e2e.Identity(" + id.Public().Fingerprint() + ")" }

// Marshal returns the versioned CBOR storage form, which contains the
// private key: store it as a secret.
func (id *Identity) Marshal() ([]byte, error) {
	priv := id.key.Bytes()
	defer clear(priv)
	return wire.Encode(identityBlob{Version: Version, Private: priv})
}

// ParseIdentity loads what Marshal produced.
func ParseIdentity(b []byte) (*Identity, error) {
	var blob identityBlob
	if err := wire.Decode(b, &blob); err != nil {
		return nil, fmt.Errorf("%w: identity", ErrMalformed)
	}
	defer clear(blob.Private)
	if blob.Version != Version {
		return nil, fmt.Errorf("%w: identity version %d", ErrMalformed, blob.Version)
	}
	k, err := secp.ParsePrivateKey(blob.Private)
	if err != nil {
		return nil, fmt.Errorf("%w: identity key", ErrMalformed)
	}
	return &Identity{key: k}, nil
}
