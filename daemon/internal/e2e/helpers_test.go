package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/securep2p/securep2p/wire"
)

// party is one user with an identity and a prekey store.
type party struct {
	id    *Identity
	name  string
	store *PrekeyStore
	otks  []wire.Prekey
}

func newParty(t testing.TB, name string, otks int) *party {
	t.Helper()
	id, err := NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	p := &party{id: id, name: name, store: NewPrekeyStore()}
	if _, err := p.store.RotateSignedPrekey(id); err != nil {
		t.Fatal(err)
	}
	if otks > 0 {
		if p.otks, err = p.store.GenerateOneTime(otks); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// bundle returns the published bundle, handing out the next one-time prekey
// like the relay does (none when the pool is empty).
func (p *party) bundle(t testing.TB) *wire.Bundle {
	t.Helper()
	spk, ok := p.store.CurrentSignedPrekey()
	if !ok {
		t.Fatal("no signed prekey")
	}
	b := &wire.Bundle{Username: p.name, IdentityKey: p.id.Public().Bytes(), SignedPrekey: spk}
	if len(p.otks) > 0 {
		b.OneTime = &p.otks[0]
		p.otks = p.otks[1:]
	}
	return b
}

// establish sets up a session alice->bob and has bob reply once, so both
// sides have both chains.
func establish(t testing.TB, a, b *party) (as, bs *Session) {
	t.Helper()
	as, err := Initiate(a.id, a.name, b.bundle(t))
	if err != nil {
		t.Fatal(err)
	}
	env := mustEncrypt(t, as, "hello")
	bs, pt, used, err := Respond(b.id, b.name, a.name, env, b.store)
	if err != nil {
		t.Fatal(err)
	}
	if string(pt) != "hello" {
		t.Fatalf("first message = %q", pt)
	}
	b.store.Consume(used)
	mustDecrypt(t, as, mustEncrypt(t, bs, "hi back"), "hi back")
	return as, bs
}

func mustEncrypt(t testing.TB, s *Session, msg string) []byte {
	t.Helper()
	env, err := s.Encrypt([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func mustDecrypt(t testing.TB, s *Session, env []byte, want string) {
	t.Helper()
	pt, err := s.Decrypt(env)
	if err != nil {
		t.Fatalf("decrypt %q: %v", want, err)
	}
	if string(pt) != want {
		t.Fatalf("decrypt = %q, want %q", pt, want)
	}
}

func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

func stateBytes(t testing.TB, s *Session) []byte {
	t.Helper()
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func requireUnchanged(t testing.TB, s *Session, before []byte) {
	t.Helper()
	if !bytes.Equal(stateBytes(t, s), before) {
		t.Fatal("session state changed after a failed decryption")
	}
}

// editEnvelope decodes env, applies f and re-encodes it.
func editEnvelope(t testing.TB, env []byte, f func(e *envelope)) []byte {
	t.Helper()
	var e envelope
	if err := wire.Decode(env, &e); err != nil {
		t.Fatal(err)
	}
	f(&e)
	out, err := wire.Encode(&e)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func msgName(dir string, i int) string { return fmt.Sprintf("%s-%03d", dir, i) }
