package loadgen

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// utime 250 and stime 50 ticks (fields 14 and 15); the name has spaces and ')'.
	line := "1234 (p2p relay) x) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1 0 0\n"
	got, err := parseStatCPU([]byte(line))
	if err != nil || got != 3*time.Second {
		t.Fatalf("parseStatCPU = %v, %v; want 3s", got, err)
	}
}

func TestParseStatCPUTruncated(t *testing.T) {
	if _, err := parseStatCPU([]byte("1234 (p2p-relay) S 1 2 3")); err == nil {
		t.Fatal("accepted a truncated stat line")
	}
}

func TestParseStatCPUNegative(t *testing.T) {
	if _, err := parseStatCPU([]byte("1 (x) S 1 2 3 4 5 6 7 8 9 10 -5 50 0")); err == nil {
		t.Fatal("accepted a negative tick count")
	}
}

func TestParseRealProcFiles(t *testing.T) {
	stat, err := os.ReadFile("testdata/stat.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseStatCPU(stat); err != nil {
		t.Errorf("stat: %v", err)
	}
	status, err := os.ReadFile("testdata/status.txt")
	if err != nil {
		t.Fatal(err)
	}
	rss, err1 := parseStatusKB(status, "VmRSS:")
	hwm, err2 := parseStatusKB(status, "VmHWM:")
	if err1 != nil || err2 != nil || rss <= 0 || hwm < rss {
		t.Errorf("status: rss %d (%v), hwm %d (%v)", rss, err1, hwm, err2)
	}
}

func TestParseStatusKB(t *testing.T) {
	got, err := parseStatusKB([]byte("Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t1024 kB\n"), "VmHWM:")
	if err != nil || got != 2048<<10 {
		t.Fatalf("VmHWM = %d, %v; want %d", got, err, 2048<<10)
	}
}

func TestParseStatusKBMissing(t *testing.T) {
	if _, err := parseStatusKB([]byte("Name:\tx\n"), "VmHWM:"); err == nil {
		t.Fatal("no error for a missing field")
	}
}

func TestParseStatusKBWrongUnit(t *testing.T) {
	if _, err := parseStatusKB([]byte("VmHWM:\t2048 MB\n"), "VmHWM:"); err == nil {
		t.Fatal("accepted a unit other than kB")
	}
}

func TestReadOwnProcStats(t *testing.T) {
	st, err := readProcStats(os.Getpid())
	if err != nil || st.rss <= 0 || st.peakRSS < st.rss {
		t.Fatalf("readProcStats(self) = %+v, %v", st, err)
	}
}

func TestParseBanner(t *testing.T) {
	key := "02" + strings.Repeat("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", 1)
	in := "relay key: " + key + "\nlistening on 127.0.0.1:41000\nmetrics on 127.0.0.1:9464\n"
	addr, k, err := parseBanner(bufio.NewScanner(strings.NewReader(in)))
	if err != nil || addr != "127.0.0.1:41000" || k.String() != key {
		t.Fatalf("parseBanner = %q, %v, %v", addr, k, err)
	}
}

func TestParseBannerNonLoopback(t *testing.T) {
	key := "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
	in := "relay key: " + key + "\nlistening on [::]:4433\n"
	if _, _, err := parseBanner(bufio.NewScanner(strings.NewReader(in))); err == nil {
		t.Fatal("accepted a relay listening on a non-loopback address")
	}
}

func TestParseBannerBadKey(t *testing.T) {
	in := "relay key: 04abcd\nlistening on 127.0.0.1:1\n"
	if _, _, err := parseBanner(bufio.NewScanner(strings.NewReader(in))); err == nil {
		t.Fatal("accepted an invalid relay key")
	}
}

func TestParseBannerEarlyExit(t *testing.T) {
	if _, _, err := parseBanner(bufio.NewScanner(strings.NewReader("listening on 127.0.0.1:1\n"))); err == nil {
		t.Fatal("no error when the key line never came")
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("1234 (p2p relay) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1 0 0\n"))
	f.Add([]byte("Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t1024 kB\n"))
	if b, err := os.ReadFile("testdata/stat.txt"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if d, err := parseStatCPU(b); err == nil && d < 0 {
			t.Fatalf("negative CPU time %v", d)
		}
		if v, err := parseStatusKB(b, "VmHWM:"); err == nil && v < 0 {
			t.Fatalf("negative size %d", v)
		}
	})
}

func FuzzParseBanner(f *testing.F) {
	f.Add("relay key: 0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798\nlistening on 127.0.0.1:41000\n")
	f.Add("listening on [::1]:1\nrelay key: 00\n")
	f.Fuzz(func(t *testing.T, in string) {
		sc := bufio.NewScanner(strings.NewReader(in))
		sc.Buffer(make([]byte, 0, maxBannerLine), maxBannerLine)
		addr, k, err := parseBanner(sc)
		if err == nil && (k.IsZero() || checkLoopback(addr) != nil) {
			t.Fatalf("accepted %q: addr %q key %v", in, addr, k)
		}
	})
}
