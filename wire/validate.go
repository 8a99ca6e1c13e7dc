package wire

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("wire: invalid frame")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// Type reports which payload f carries, or 0 when it carries none or several.
func (f *Frame) Type() Type {
	var t Type
	n := 0
	set := func(ok bool, tt Type) {
		if ok {
			t = tt
			n++
		}
	}
	set(f.ClientHello != nil, TypeClientHello)
	set(f.ServerHello != nil, TypeServerHello)
	set(f.Register != nil, TypeRegister)
	set(f.Login != nil, TypeLogin)
	set(f.Resume != nil, TypeResume)
	set(f.Logout != nil, TypeLogout)
	set(f.Welcome != nil, TypeWelcome)
	set(f.OK != nil, TypeOK)
	set(f.UploadPrekeys != nil, TypeUploadPrekeys)
	set(f.PrekeyCount != nil, TypePrekeyCount)
	set(f.FetchBundle != nil, TypeFetchBundle)
	set(f.Bundle != nil, TypeBundle)
	set(f.Send != nil, TypeSend)
	set(f.Accepted != nil, TypeAccepted)
	set(f.Deliver != nil, TypeDeliver)
	set(f.Ack != nil, TypeAck)
	set(f.Error != nil, TypeError)
	set(f.Ping != nil, TypePing)
	set(f.Pong != nil, TypePong)
	if n != 1 {
		return 0
	}
	return t
}

// Validate checks that f carries exactly one payload and that every field is
// within the protocol's limits. It does not check that keys are on the curve
// (that is wire/secp's job where keys are used).
func (f *Frame) Validate() error {
	if f.Type() == 0 {
		return invalid("a frame carries exactly one payload")
	}
	switch {
	case f.ClientHello != nil:
		return f.ClientHello.validate()
	case f.ServerHello != nil:
		return f.ServerHello.validate()
	case f.Register != nil:
		return f.Register.validate()
	case f.Login != nil:
		return f.Login.validate()
	case f.Resume != nil:
		return f.Resume.validate()
	case f.Welcome != nil:
		return checkName("username", f.Welcome.Username)
	case f.UploadPrekeys != nil:
		return f.UploadPrekeys.validate()
	case f.FetchBundle != nil:
		return checkName("username", f.FetchBundle.Username)
	case f.Bundle != nil:
		return f.Bundle.validate()
	case f.Send != nil:
		return f.Send.validate()
	case f.Accepted != nil:
		return checkIDs(f.Accepted.ID, f.Accepted.More)
	case f.Deliver != nil:
		return f.Deliver.validate()
	case f.Ack != nil:
		return checkIDs(f.Ack.ID, f.Ack.More)
	case f.Error != nil:
		return f.Error.validate()
	}
	return nil // Logout, OK, PrekeyCount, Ping, Pong have no bounded fields
}

// checkIDs checks the ids of an Ack or Accepted: id and each of more
// IDSize bytes, at most MaxBatchIDs in all.
func checkIDs(id []byte, more [][]byte) error {
	if len(more) > MaxBatchIDs-1 {
		return invalid("%d more ids, want at most %d", len(more), MaxBatchIDs-1)
	}
	for _, m := range more {
		if err := checkLen("id", m, IDSize); err != nil {
			return err
		}
	}
	return checkLen("id", id, IDSize)
}

func checkLen(name string, b []byte, n int) error {
	if len(b) != n {
		return invalid("%s is %d bytes, want %d", name, len(b), n)
	}
	return nil
}

// checkName enforces only the wire limits on a username field (length);
// the relay applies the full rules with NormalizeUsername.
func checkName(field, s string) error {
	if len(s) == 0 || len(s) > MaxUsernameLen {
		return invalid("%s length %d outside 1..%d", field, len(s), MaxUsernameLen)
	}
	return nil
}

func checkPassword(p string) error {
	if len(p) > MaxPasswordLen {
		return invalid("password longer than %d bytes", MaxPasswordLen)
	}
	return nil
}

func (h *ClientHello) validate() error {
	if err := checkLen("ephemeral key", h.Ephemeral, KeySize); err != nil {
		return err
	}
	return checkLen("nonce", h.Nonce, NonceSize)
}

func (h *ServerHello) validate() error {
	if err := checkLen("ephemeral key", h.Ephemeral, KeySize); err != nil {
		return err
	}
	if err := checkLen("relay key", h.RelayKey, KeySize); err != nil {
		return err
	}
	if err := checkLen("challenge", h.Challenge, ChallengeSize); err != nil {
		return err
	}
	return checkLen("signature", h.Signature, SigSize)
}

func (p *SignedPrekey) validate() error {
	if err := checkLen("signed prekey", p.Key, KeySize); err != nil {
		return err
	}
	return checkLen("signed prekey signature", p.Signature, SigSize)
}

func validatePrekeys(ps []Prekey) error {
	if len(ps) > MaxPrekeyBatch {
		return invalid("%d one-time prekeys exceeds %d", len(ps), MaxPrekeyBatch)
	}
	for i := range ps {
		if err := checkLen("one-time prekey", ps[i].Key, KeySize); err != nil {
			return err
		}
	}
	return nil
}

func (r *Register) validate() error {
	if err := checkName("username", r.Username); err != nil {
		return err
	}
	if err := checkPassword(r.Password); err != nil {
		return err
	}
	if err := checkLen("identity key", r.IdentityKey, KeySize); err != nil {
		return err
	}
	if err := r.SignedPrekey.validate(); err != nil {
		return err
	}
	return validatePrekeys(r.OneTime)
}

func (l *Login) validate() error {
	if err := checkName("username", l.Username); err != nil {
		return err
	}
	if err := checkPassword(l.Password); err != nil {
		return err
	}
	if err := checkLen("identity key", l.IdentityKey, KeySize); err != nil {
		return err
	}
	if l.SignedPrekey != nil {
		if err := l.SignedPrekey.validate(); err != nil {
			return err
		}
	}
	return validatePrekeys(l.OneTime)
}

func (r *Resume) validate() error {
	if err := checkName("username", r.Username); err != nil {
		return err
	}
	return checkLen("signature", r.Signature, SigSize)
}

func (u *UploadPrekeys) validate() error {
	if u.SignedPrekey == nil && len(u.OneTime) == 0 {
		return invalid("prekey upload carries no keys")
	}
	if u.SignedPrekey != nil {
		if err := u.SignedPrekey.validate(); err != nil {
			return err
		}
	}
	return validatePrekeys(u.OneTime)
}

func (b *Bundle) validate() error {
	if err := checkName("username", b.Username); err != nil {
		return err
	}
	if err := checkLen("identity key", b.IdentityKey, KeySize); err != nil {
		return err
	}
	if err := b.SignedPrekey.validate(); err != nil {
		return err
	}
	if b.OneTime != nil {
		return checkLen("one-time prekey", b.OneTime.Key, KeySize)
	}
	return nil
}

func checkBody(b []byte) error {
	if len(b) == 0 || len(b) > MaxBodySize {
		return invalid("body length %d outside 1..%d", len(b), MaxBodySize)
	}
	return nil
}

func (s *Send) validate() error {
	if err := checkLen("id", s.ID, IDSize); err != nil {
		return err
	}
	if err := checkName("recipient", s.To); err != nil {
		return err
	}
	if err := checkLen("identity key", s.IdentityKey, KeySize); err != nil {
		return err
	}
	return checkBody(s.Body)
}

func (d *Deliver) validate() error {
	if err := checkLen("id", d.ID, IDSize); err != nil {
		return err
	}
	if err := checkName("sender", d.From); err != nil {
		return err
	}
	return checkBody(d.Body)
}

func (e *Error) validate() error {
	if len(e.Message) > MaxErrorMessage {
		return invalid("error message longer than %d bytes", MaxErrorMessage)
	}
	if e.ID != nil {
		return checkLen("id", e.ID, IDSize)
	}
	return nil
}

// NormalizeUsername returns the canonical form of a username: an optional
// leading '@' removed, ASCII lowercased. The result must be 3 to 32 bytes
// of [a-z0-9_], starting with a letter; otherwise ok is false. Non-ASCII
// input is refused, never folded (strings.ToLower would map the Kelvin sign
// U+212A to 'k', letting a second spelling reach an account).
func NormalizeUsername(s string) (name string, ok bool) {
	s = strings.TrimPrefix(s, "@")
	if len(s) < MinUsernameLen || len(s) > MaxUsernameLen {
		return "", false
	}
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
			b[i] = c
		}
		if !(c >= 'a' && c <= 'z' || i > 0 && (c >= '0' && c <= '9' || c == '_')) {
			return "", false
		}
	}
	return string(b), true
}
