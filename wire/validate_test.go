package wire_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/securep2p/securep2p/wire"
)

func mustRefuse(t *testing.T, f *wire.Frame, cause string) {
	t.Helper()
	b, err := wire.Marshal(f)
	if !errors.Is(err, wire.ErrInvalid) || !strings.Contains(err.Error(), cause) || b != nil {
		t.Fatalf("Marshal = %x, %v; want ErrInvalid naming %q", b, err, cause)
	}
}

func TestMarshalRefusesInvalid(t *testing.T) {
	send := *goldens["send"].Send
	t.Run("NoPayload", func(t *testing.T) { mustRefuse(t, &wire.Frame{Req: 1}, "exactly one payload") })
	t.Run("TwoPayloads", func(t *testing.T) {
		mustRefuse(t, &wire.Frame{Ping: &wire.Ping{}, Pong: &wire.Pong{}}, "exactly one payload")
	})
	t.Run("ShortID", func(t *testing.T) {
		s := send
		s.ID = s.ID[:15]
		mustRefuse(t, &wire.Frame{Send: &s}, "id is 15 bytes")
	})
	t.Run("EmptyBody", func(t *testing.T) {
		s := send
		s.Body = nil
		mustRefuse(t, &wire.Frame{Send: &s}, "body length 0")
	})
	t.Run("BodyTooLarge", func(t *testing.T) {
		s := send
		s.Body = make([]byte, wire.MaxBodySize+1)
		mustRefuse(t, &wire.Frame{Send: &s}, "body length")
	})
	t.Run("UsernameTooLong", func(t *testing.T) {
		mustRefuse(t, &wire.Frame{FetchBundle: &wire.FetchBundle{Username: strings.Repeat("a", 33)}}, "username length")
	})
	t.Run("TooManyPrekeys", func(t *testing.T) {
		f := &wire.Frame{UploadPrekeys: &wire.UploadPrekeys{OneTime: prekeys(wire.MaxPrekeyBatch + 1)}}
		mustRefuse(t, f, "one-time prekeys exceeds")
	})
	t.Run("EmptyUpload", func(t *testing.T) { mustRefuse(t, &wire.Frame{UploadPrekeys: &wire.UploadPrekeys{}}, "no keys") })
	t.Run("ErrorMessageTooLong", func(t *testing.T) {
		f := &wire.Frame{Error: &wire.Error{Code: wire.CodeInternal, Message: strings.Repeat("x", wire.MaxErrorMessage+1)}}
		mustRefuse(t, f, "error message longer")
	})
	t.Run("PasswordTooLong", func(t *testing.T) {
		r := *goldens["register"].Register
		r.Password = strings.Repeat("p", wire.MaxPasswordLen+1)
		mustRefuse(t, &wire.Frame{Register: &r}, "password longer")
	})
	t.Run("BadSignatureSize", func(t *testing.T) {
		mustRefuse(t, &wire.Frame{Resume: &wire.Resume{Username: "alice", Signature: make([]byte, 65)}}, "signature is 65 bytes")
	})
}

func TestMarshalMaxBody(t *testing.T) {
	s := *goldens["send"].Send
	s.Body = make([]byte, wire.MaxBodySize)
	b, err := wire.Marshal(&wire.Frame{Send: &s})
	if err != nil || len(b) > wire.MaxFrameSize {
		t.Fatalf("max body: %d bytes, %v", len(b), err)
	}
	var f wire.Frame
	if err := wire.Unmarshal(b, &f); err != nil {
		t.Fatalf("max body frame does not decode: %v", err)
	}
}

func TestNormalizeUsername(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"alice", "alice", true},
		{"@Alice", "alice", true},
		{"ALICE_99", "alice_99", true},
		{"abc", "abc", true},
		{strings.Repeat("a", 32), strings.Repeat("a", 32), true},
		{"@" + strings.Repeat("a", 32), strings.Repeat("a", 32), true},
		{"ab", "", false},                    // too short
		{"@ab", "", false},                   // too short after '@'
		{strings.Repeat("a", 33), "", false}, // too long
		{"1alice", "", false},                // must start with a letter
		{"_alice", "", false},                // must start with a letter
		{"al ice", "", false},                // space
		{"al-ice", "", false},                // hyphen
		{"al.ice", "", false},                // dot
		{"@@alice", "", false},               // only one '@' is stripped
		{"alicé", "", false},                 // non-ASCII
		{"\u212aelvin", "", false},           // Kelvin sign: ToLower would give 'k'
		{"ali\x00ce", "", false},             // NUL
		{"", "", false},                      // empty
		{"alice\n", "", false},               // trailing newline
		{"ＡＢＣ", "", false},                   // fullwidth letters
		{"bob_", "bob_", true},               // trailing underscore is allowed
		{"B0B", "b0b", true},                 // digits after the first letter
		{strings.Repeat("Z", 32), strings.Repeat("z", 32), true},
	}
	for _, tc := range tests {
		got, ok := wire.NormalizeUsername(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("NormalizeUsername(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCodeStrings(t *testing.T) {
	for c := wire.CodeBadFrame; c <= wire.CodeKeyChanged; c++ {
		if s := c.String(); strings.HasPrefix(s, "code ") {
			t.Errorf("code %d has no name", c)
		}
	}
	if s := wire.Code(999).String(); s != "code 999" {
		t.Errorf("unknown code prints %q", s)
	}
	var re *wire.RemoteError
	err := (&wire.Error{Code: wire.CodeMailboxFull, Message: "quota"}).Err()
	if !errors.As(err, &re) || re.Code != wire.CodeMailboxFull || err.Error() != "relay: mailbox full: quota" {
		t.Errorf("Err() = %v", err)
	}
}
