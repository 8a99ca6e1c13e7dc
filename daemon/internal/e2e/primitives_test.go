package e2e

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
)

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

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func keysFor(t *testing.T, key, iv string) *messageKeys {
	var mk messageKeys
	copy(mk.aes[:], unhex(t, key))
	copy(mk.iv[:], unhex(t, iv))
	return &mk
}

// TestAES256CTRNIST: ctrXOR against NIST SP 800-38A F.5.5 / F.5.6.
func TestAES256CTRNIST(t *testing.T) {
	var v struct {
		Key, InitCounter string
		Tests            []struct{ Direction, Plaintext, Ciphertext string }
		WholeMessage     struct{ Plaintext, Ciphertext string }
	}
	loadJSON(t, "nist_sp800_38a_f5_5_f5_6_aes256_ctr.json", &v)
	mk := keysFor(t, v.Key, v.InitCounter)
	pt, ct := unhex(t, v.WholeMessage.Plaintext), unhex(t, v.WholeMessage.Ciphertext)
	got := make([]byte, len(pt))
	ctrXOR(mk, got, pt)
	if !bytes.Equal(got, ct) {
		t.Fatalf("encrypt = %x", got)
	}
	ctrXOR(mk, got, ct)
	if !bytes.Equal(got, pt) {
		t.Fatalf("decrypt = %x", got)
	}
	if len(v.Tests) != 8 {
		t.Fatalf("%d block rows", len(v.Tests))
	}
}

// TestLibsignalAES256CTRZeroIV: libsignal's zero-IV known answer.
func TestLibsignalAES256CTRZeroIV(t *testing.T) {
	var v struct{ Key, IV, Plaintext, Ciphertext string }
	loadJSON(t, "libsignal_aes256ctr_zero_iv.json", &v)
	pt := unhex(t, v.Plaintext)
	got := make([]byte, len(pt))
	ctrXOR(keysFor(t, v.Key, v.IV), got, pt)
	if hex.EncodeToString(got) != v.Ciphertext {
		t.Fatalf("ciphertext = %x", got)
	}
}

// TestHMACRFC4231: the reusable macer against RFC 4231 (incl. 131-byte keys
// and the truncated case).
func TestHMACRFC4231(t *testing.T) {
	var v struct {
		Tests []struct {
			TcID           int
			Key, Data, Mac string
			TagLenBits     int
		}
	}
	loadJSON(t, "rfc4231_hmac_sha256.json", &v)
	for _, c := range v.Tests {
		got := hmacSHA256(unhex(t, c.Key), unhex(t, c.Data))
		if hex.EncodeToString(got[:c.TagLenBits/8]) != c.Mac {
			t.Errorf("case %d: %x", c.TcID, got)
		}
	}
	if len(v.Tests) != 7 {
		t.Fatalf("%d cases", len(v.Tests))
	}
}

// TestHMACWycheproof: valid tags match, invalid (modified) tags do not.
func TestHMACWycheproof(t *testing.T) {
	var v struct {
		TestGroups []struct {
			TagSize int
			Tests   []struct {
				TcID          int
				Key, Msg, Tag string
				Result        string
			}
		}
	}
	loadJSON(t, "hmac_sha256_test.json", &v)
	n := 0
	for _, g := range v.TestGroups {
		for _, c := range g.Tests {
			got := hmacSHA256(unhex(t, c.Key), unhex(t, c.Msg))[:g.TagSize/8]
			match := bytes.Equal(got, unhex(t, c.Tag))
			if match != (c.Result == "valid") {
				t.Errorf("tcId %d: match=%v result=%s", c.TcID, match, c.Result)
			}
			n++
		}
	}
	if n != 174 {
		t.Fatalf("%d cases", n)
	}
}

// TestLibsignalChainKey: our chain step is libsignal's KDF_CK (HMAC with
// 0x01 / 0x02) and our message-key expansion is libsignal's (HKDF, zero
// salt, L = 80, key | mac key | iv); only the info label differs in
// production (labelMessageKeys instead of "WhisperMessageKeys"). With
// libsignal's label every value matches its known answer.
func TestLibsignalChainKey(t *testing.T) {
	var v struct {
		ChainKey, CipherKey, MacKey, NextChainKey string
		IV                                        string `json:"iv_derived_not_asserted"`
	}
	loadJSON(t, "libsignal_chainkey_kat.json", &v)
	var ck [keySize]byte
	copy(ck[:], unhex(t, v.ChainKey))
	m := getMacer()
	defer putMacer(m)
	seed, next := m.chainStep(&ck)
	mk := m.expand(&seed, []byte("WhisperMessageKeys"))
	for _, c := range []struct{ name, got, want string }{
		{"cipher key", hex.EncodeToString(mk.aes[:]), v.CipherKey},
		{"mac key", hex.EncodeToString(mk.mac[:]), v.MacKey},
		{"iv", hex.EncodeToString(mk.iv[:]), v.IV},
		{"next chain key", hex.EncodeToString(next[:]), v.NextChainKey},
	} {
		if c.got != c.want {
			t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
		}
	}
}

// TestExpandMatchesHKDF: the allocation-free expansion equals crypto/hkdf.
func TestExpandMatchesHKDF(t *testing.T) {
	m := getMacer()
	defer putMacer(m)
	for i := range 50 {
		seed := sha256.Sum256([]byte{byte(i)})
		mk := m.expand(&seed, messageKeysInfo)
		want, err := hkdf.Key(sha256.New, seed[:], make([]byte, 32), labelMessageKeys, expandedLen)
		if err != nil {
			t.Fatal(err)
		}
		got := append(append(mk.aes[:], mk.mac[:]...), mk.iv[:]...)
		if !bytes.Equal(got, want) {
			t.Fatalf("seed %d: expansion differs from crypto/hkdf", i)
		}
	}
}
