package relay

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/securep2p/securep2p/wire"
)

// TestArgon2idKnownAnswers checks x/crypto's Argon2id against the reference
// CLI rows of testdata/argon2id_kat.json (see testdata/README.md); the RFC
// 9106 row needs a secret and associated data, which IDKey cannot take.
func TestArgon2idKnownAnswers(t *testing.T) {
	raw, err := os.ReadFile("testdata/argon2id_kat.json")
	if err != nil {
		t.Fatal(err)
	}
	var kat struct {
		Tests []struct {
			TcID                   int
			Origin                 string
			Password, Salt, Secret string
			AD                     string `json:"ad"`
			T, MKiB, P, TagLen     uint32
			Tag                    string
		}
	}
	if err := json.Unmarshal(raw, &kat); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, tc := range kat.Tests {
		if tc.Origin != "reference-cli" || tc.Secret != "" || tc.AD != "" {
			continue
		}
		pw, _ := hex.DecodeString(tc.Password)
		salt, _ := hex.DecodeString(tc.Salt)
		got := hex.EncodeToString(argon2.IDKey(pw, salt, tc.T, tc.MKiB, uint8(tc.P), tc.TagLen))
		if got != tc.Tag {
			t.Errorf("tcId %d: tag %s, want %s", tc.TcID, got, tc.Tag)
		}
		checked++
	}
	if checked < 5 {
		t.Fatalf("only %d reachable rows checked", checked)
	}
}

func TestPasswordHashRoundTrip(t *testing.T) {
	h, err := newHasher(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := h.hash(context.Background(), []byte("hunter22hunter22"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := parseHashRecord(rec)
	if err != nil || r.MemoryKiB < 19*1024 || r.Time < 2 || r.Threads != 1 || len(r.Salt) != 16 {
		t.Fatalf("record %+v %v", r, err)
	}
	if ok, _ := h.verify(context.Background(), rec, []byte("hunter22hunter22")); !ok {
		t.Fatal("right password refused")
	}
	if ok, _ := h.verify(context.Background(), rec, []byte("hunter22hunter23")); ok {
		t.Fatal("wrong password accepted")
	}
}

func TestPasswordHashSaltsDiffer(t *testing.T) {
	h, _ := newHasher(1, nil)
	a, _ := h.hash(context.Background(), []byte("same password"))
	b, _ := h.hash(context.Background(), []byte("same password"))
	if string(a) == string(b) {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
}

func TestPasswordRecordHugeMemoryRefused(t *testing.T) {
	rec, _ := wire.Encode(hashRecord{Version: argon2.Version, MemoryKiB: 1 << 30, Time: 2, Threads: 1,
		Salt: make([]byte, 16), Tag: make([]byte, 32)})
	if _, err := parseHashRecord(rec); err == nil {
		t.Fatal("a record asking for 1 TiB of memory was accepted")
	}
}

func TestHasherSemaphoreHonoursContext(t *testing.T) {
	h, _ := newHasher(1, nil)
	h.sem <- struct{}{} // the only slot is busy
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := h.hash(ctx, []byte("password")); err == nil {
		t.Fatal("hash ran without a slot")
	}
}

func FuzzParseHashRecord(f *testing.F) {
	rec, _ := wire.Encode(hashRecord{Version: argon2.Version, MemoryKiB: 19456, Time: 2, Threads: 1,
		Salt: make([]byte, 16), Tag: make([]byte, 32)})
	f.Add(rec)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseHashRecord(b)
		if err != nil {
			return
		}
		if r.MemoryKiB > maxArgonMemoryKiB || r.Time > maxArgonTime || r.Threads > maxArgonThreads {
			t.Fatalf("limits not enforced: %+v", r)
		}
	})
}

func TestFailureLimiterLocksAfterMax(t *testing.T) {
	l := &failureLimiter{m: map[string]*failState{}, free: 5, max: 100, base: time.Second,
		maxBackoff: 15 * time.Minute, lockout: time.Hour, maxKeys: 10}
	now := time.Unix(1e9, 0)
	fails := 0
	for range 1000 {
		if ok, _ := l.check("bob", now); ok {
			l.fail("bob", now)
			fails++
		}
		now = now.Add(15 * time.Minute)
		if fails == 100 {
			break
		}
	}
	if fails != 100 {
		t.Fatalf("%d failures", fails)
	}
	if ok, wait := l.check("bob", now); ok || wait <= 0 {
		t.Fatal("not locked after 100 consecutive failures")
	}
	if ok, _ := l.check("bob", now.Add(time.Hour)); !ok {
		t.Fatal("still locked after the lockout")
	}
	l.success("bob")
	if ok, _ := l.check("bob", now); !ok {
		t.Fatal("success did not reset")
	}
}
