package e2e

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/securep2p/securep2p/wire/secp"
)

// TestLoadSkippedKeysNoCurveOps: loading a state with the full skipped-key
// store decompresses only the state's fixed public keys (self, peer,
// receiving ratchet, base key, prekey base key), never one per skipped or
// retired row.
func TestLoadSkippedKeysNoCurveOps(t *testing.T) {
	raw := stateBytes(t, fullSkipped(t))
	calls := 0
	parseStoredKey = func(b []byte) (secp.PublicKey, error) {
		calls++
		return secp.ParsePublicKey(b)
	}
	t.Cleanup(func() { parseStoredKey = secp.ParsePublicKey })
	s, err := UnmarshalSession(raw)
	if err != nil {
		t.Fatal(err)
	}
	if s.SkippedKeys() != MaxSkippedKeys {
		t.Fatalf("skipped keys = %d", s.SkippedKeys())
	}
	if calls > 5 {
		t.Fatalf("%d public-key parses to load a state with %d skipped keys, want at most 5", calls, MaxSkippedKeys)
	}
}

// previousState is testdata/session_state_v2_skipped.json: bob's state
// (version 2) written by the code before skipped keys were loaded without
// curve operations, with alice's envelopes of two chains (bob decrypted
// chain1[11] and chain2[6]; the others of those chains are skipped keys).
type previousState struct {
	State   string   `json:"state"`
	Skipped int      `json:"skipped"`
	Chain1  []string `json:"chain1"`
	Chain2  []string `json:"chain2"`
}

// TestLoadStateWrittenByPreviousCode: a state stored by the previous code
// loads, re-serialises to the same bytes, and decrypts its skipped messages
// and the next message of the current chain.
func TestLoadStateWrittenByPreviousCode(t *testing.T) {
	v := readPreviousState(t)
	raw := unhex(t, v.State)
	s, err := UnmarshalSession(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stateBytes(t, s), raw) || s.SkippedKeys() != v.Skipped {
		t.Fatalf("loaded state differs (skipped keys %d, want %d)", s.SkippedKeys(), v.Skipped)
	}
	for i, env := range v.Chain1[:11] {
		mustDecrypt(t, s, unhex(t, env), msgName("c1", i))
	}
	for i, env := range v.Chain2 {
		if i != 6 {
			mustDecrypt(t, s, unhex(t, env), msgName("c2", i))
		}
	}
	if s.SkippedKeys() != 0 {
		t.Fatalf("skipped keys left = %d", s.SkippedKeys())
	}
	_, err = s.Decrypt(unhex(t, v.Chain1[11]))
	wantErr(t, err, ErrDuplicate)
}

func readPreviousState(tb testing.TB) *previousState {
	tb.Helper()
	b, err := os.ReadFile("testdata/session_state_v2_skipped.json")
	if err != nil {
		tb.Fatal(err)
	}
	var v previousState
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatal(err)
	}
	return &v
}

func previousStateBlob(tb testing.TB) []byte {
	tb.Helper()
	b, err := hex.DecodeString(readPreviousState(tb).State)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
