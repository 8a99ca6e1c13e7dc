package hopclient

import (
	"testing"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

// User is a daemon's account and key material for tests. The fields are
// plain so a test can alter one (a wrong password, a stale identity key)
// on a copy.
type User struct {
	Name     string
	Password string           // "correct horse " + Name unless a test changes it
	Identity *secp.PrivateKey // long-term identity key
	SPK      wire.SignedPrekey
	OPKs     []wire.Prekey // one-time prekeys, IDs 1..n
}

// NewUser makes name's keys with opks one-time prekeys. The signed
// prekey's signature is a placeholder: the relay stores it unverified.
func NewUser(tb testing.TB, name string, opks int) *User {
	tb.Helper()
	id, err := secp.GeneratePrivateKey()
	if err != nil {
		tb.Fatal(err)
	}
	u := &User{Name: name, Password: "correct horse " + name, Identity: id}
	u.SPK = wire.SignedPrekey{ID: 1, Key: PubKey(tb), Signature: id.Sign("test/spk", nil)}
	for i := range opks {
		u.OPKs = append(u.OPKs, wire.Prekey{ID: uint32(i + 1), Key: PubKey(tb)})
	}
	return u
}

// PubKey returns a fresh public key's 33 bytes.
func PubKey(tb testing.TB) []byte {
	tb.Helper()
	k, err := secp.GeneratePrivateKey()
	if err != nil {
		tb.Fatal(err)
	}
	return k.Public().Bytes()
}

// IDKey returns the identity public key's 33 bytes.
func (u *User) IDKey() []byte { return u.Identity.Public().Bytes() }
