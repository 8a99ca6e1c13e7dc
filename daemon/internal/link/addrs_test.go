package link

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParseAddrs(t *testing.T) {
	got, err := ParseAddrs(" 127.0.0.1:4433, relay2.example.org:4433 ,[::1]:1")
	want := []string{"127.0.0.1:4433", "relay2.example.org:4433", "[::1]:1"}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
	if got, err := ParseAddrs("127.0.0.1:4433"); err != nil || len(got) != 1 {
		t.Fatalf("one address: %q, %v", got, err)
	}
}

func TestParseAddrsEmpty(t *testing.T) {
	if _, err := ParseAddrs(" "); err == nil {
		t.Fatal("an empty list was accepted")
	}
}

func TestParseAddrsEmptyEntry(t *testing.T) {
	if _, err := ParseAddrs("127.0.0.1:1,,127.0.0.1:2"); err == nil {
		t.Fatal("an empty entry was accepted")
	}
}

func TestParseAddrsNoPort(t *testing.T) {
	for _, s := range []string{"relay.example.org", "relay:", ":4433", "relay:http", "relay:0", "relay:65536"} {
		if _, err := ParseAddrs(s); err == nil {
			t.Errorf("%q was accepted", s)
		}
	}
}

func TestParseAddrsDuplicate(t *testing.T) {
	if _, err := ParseAddrs("127.0.0.1:1, 127.0.0.1:1"); err == nil {
		t.Fatal("a repeated address was accepted")
	}
}

func TestParseAddrsTooMany(t *testing.T) {
	var parts []string
	for i := range MaxAddrs + 1 {
		parts = append(parts, "127.0.0.1:"+strconv.Itoa(1000+i))
	}
	if _, err := ParseAddrs(strings.Join(parts[:MaxAddrs], ",")); err != nil {
		t.Fatalf("%d addresses: %v", MaxAddrs, err)
	}
	if _, err := ParseAddrs(strings.Join(parts, ",")); err == nil {
		t.Fatalf("%d addresses were accepted", MaxAddrs+1)
	}
}

func TestParseAddrsTooLong(t *testing.T) {
	if _, err := ParseAddrs(strings.Repeat("a", maxAddrList) + ":1"); err == nil {
		t.Fatal("an oversized list was accepted")
	}
}

// FuzzParseAddrs: whatever parses is a bounded list of distinct, trimmed
// HOST:PORT entries that parse again to the same list.
func FuzzParseAddrs(f *testing.F) {
	for _, s := range []string{"127.0.0.1:4433", "a:1, b:2", "[::1]:4433,relay:1", ",", "a:1,a:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		addrs, err := ParseAddrs(s)
		if err != nil {
			return
		}
		if len(addrs) == 0 || len(addrs) > MaxAddrs {
			t.Fatalf("%d addresses", len(addrs))
		}
		for _, a := range addrs {
			if a != strings.TrimSpace(a) || checkAddr(a) != nil {
				t.Fatalf("bad entry %q", a)
			}
		}
		again, err := ParseAddrs(strings.Join(addrs, ","))
		if err != nil || !slices.Equal(again, addrs) {
			t.Fatalf("round trip: %q, %v", again, err)
		}
	})
}
