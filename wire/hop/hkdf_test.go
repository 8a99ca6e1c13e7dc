package hop

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
)

// The hop keys come from stdlib crypto/hkdf with SHA-256 (deriveKey); these
// known answers pin that primitive.

type rfc5869Case struct {
	TcID    int    `json:"tcId"`
	IKM     string `json:"ikm"`
	Salt    string `json:"salt"`
	Info    string `json:"info"`
	L       int    `json:"L"`
	PRK     string `json:"prk"`
	OKM     string `json:"okm"`
	Section string `json:"section"`
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func loadJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func TestHKDFRFC5869(t *testing.T) {
	var file struct{ Tests []rfc5869Case }
	loadJSON(t, "rfc5869_hkdf_sha256.json", &file)
	if len(file.Tests) != 3 {
		t.Fatalf("%d cases, want 3", len(file.Tests))
	}
	for _, c := range file.Tests {
		ikm, salt, info := unhex(t, c.IKM), unhex(t, c.Salt), unhex(t, c.Info)
		prk, err := hkdf.Extract(sha256.New, ikm, salt)
		if err != nil || !bytes.Equal(prk, unhex(t, c.PRK)) {
			t.Errorf("%s: PRK %x, %v", c.Section, prk, err)
		}
		okm, err := hkdf.Key(sha256.New, ikm, salt, string(info), c.L)
		if err != nil || !bytes.Equal(okm, unhex(t, c.OKM)) {
			t.Errorf("%s: OKM %x, %v", c.Section, okm, err)
		}
	}
}

type wycheproofHKDF struct {
	TestGroups []struct {
		Tests []struct {
			TcID   int      `json:"tcId"`
			IKM    string   `json:"ikm"`
			Salt   string   `json:"salt"`
			Info   string   `json:"info"`
			Size   int      `json:"size"`
			OKM    string   `json:"okm"`
			Result string   `json:"result"`
			Flags  []string `json:"flags"`
		} `json:"tests"`
	} `json:"testGroups"`
}

// Every case is "valid" (must match) or "invalid" (SizeTooLarge: more than
// 255*32 bytes requested, must be refused); the file has no "acceptable".
func TestHKDFWycheproof(t *testing.T) {
	var file wycheproofHKDF
	loadJSON(t, "hkdf_sha256_test.json", &file)
	n := 0
	for _, g := range file.TestGroups {
		for _, c := range g.Tests {
			n++
			okm, err := hkdf.Key(sha256.New, unhex(t, c.IKM), unhex(t, c.Salt), string(unhex(t, c.Info)), c.Size)
			switch c.Result {
			case "valid":
				if err != nil || !bytes.Equal(okm, unhex(t, c.OKM)) {
					t.Errorf("tc %d %v: got %x, %v", c.TcID, c.Flags, okm, err)
				}
			case "invalid":
				if err == nil {
					t.Errorf("tc %d %v: accepted", c.TcID, c.Flags)
				}
			default:
				t.Errorf("tc %d: unexpected result %q: decide and document it", c.TcID, c.Result)
			}
		}
	}
	if n != 86 {
		t.Fatalf("%d cases, want 86", n)
	}
}
