package loadgen

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestMainPingPong(t *testing.T) {
	addr, key := startTestRelay(t)
	code, res, stderr := runMain(t, "--relay", addr, "--relay-key", key, "--pairs", "2", "--rounds", "5", "--timeout", "30s")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	// 2 pairs x 2 senders x 5 rounds, a ping and an echo each.
	if got := number(t, res, "msgs"); got != 40 {
		t.Errorf("msgs = %v, want 40", got)
	}
	if got := number(t, res, "rtt_samples"); got != 20 {
		t.Errorf("rtt_samples = %v, want 20", got)
	}
	for _, f := range []string{"msgs_per_s", "rtt_p50_ms", "rtt_p90_ms", "rtt_p99_ms", "rtt_max_ms", "duration_s"} {
		if number(t, res, f) <= 0 {
			t.Errorf("%s is not positive: %v", f, res[f])
		}
	}
	if number(t, res, "errors") != 0 || number(t, res, "timeouts") != 0 {
		t.Errorf("errors/timeouts in %v", res)
	}
	if res["workload"] != "pingpong" || res["relay_started"] != false {
		t.Errorf("workload fields: %v", res)
	}
	if !strings.Contains(stderr, "round trip ms") {
		t.Errorf("no human summary on stderr: %q", stderr)
	}
}

// TestMainStartsRelay runs the real p2p-relay binary as the load's relay
// and checks that its resource use is reported.
func TestMainStartsRelay(t *testing.T) {
	bin := buildRelay(t)
	code, res, stderr := runMain(t, "--relay-bin", bin, "--pairs", "1", "--rounds", "5", "--senders", "1", "--timeout", "30s")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if got := number(t, res, "msgs"); got != 10 {
		t.Errorf("msgs = %v, want 10", got)
	}
	if res["relay_started"] != true || number(t, res, "relay_peak_rss_bytes") <= 0 || number(t, res, "relay_cpu_total_s") <= 0 {
		t.Errorf("relay resource fields: %v", res)
	}
	if !strings.HasPrefix(res["relay"].(string), "127.0.0.1:") {
		t.Errorf("relay address %v is not loopback", res["relay"])
	}
}

func TestMainFanIn(t *testing.T) {
	addr, key := startTestRelay(t)
	code, res, stderr := runMain(t, "--relay", addr, "--relay-key", key, "--fan-in", "3", "--rounds", "4", "--timeout", "30s")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if got := number(t, res, "msgs"); got != 24 {
		t.Errorf("msgs = %v, want 24 (3 senders x 4 rounds x 2)", got)
	}
	if number(t, res, "users") != 4 {
		t.Errorf("users = %v, want 4", res["users"])
	}
}

func TestMainOpenLoop(t *testing.T) {
	addr, key := startTestRelay(t)
	code, res, stderr := runMain(t, "--relay", addr, "--relay-key", key, "--pairs", "1", "--rate", "50", "--duration", "400ms", "--timeout", "30s")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	// 50 pings/s for 0.4 s over 2 senders: 20 pings, 40 messages.
	if got := number(t, res, "msgs"); got != 40 {
		t.Errorf("msgs = %v, want 40", got)
	}
}

func TestMainIdle(t *testing.T) {
	addr, key := startTestRelay(t)
	code, res, stderr := runMain(t, "--relay", addr, "--relay-key", key, "--idle", "12", "--idle-users", "3", "--hold", "100ms", "--timeout", "30s")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if number(t, res, "held_conns") != 12 || number(t, res, "users") != 3 {
		t.Errorf("idle fields: %v", res)
	}
}

func TestMainConnect(t *testing.T) {
	addr, key := startTestRelay(t)
	code, res, stderr := runMain(t, "--relay", addr, "--relay-key", key, "--connect", "10", "--idle-users", "2", "--timeout", "30s")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if number(t, res, "rtt_samples") != 10 || number(t, res, "connects_per_s") <= 0 {
		t.Errorf("connect fields: %v", res)
	}
}

func TestMainRefusesNonLoopbackRelay(t *testing.T) {
	key := strings.Repeat("02", 1) + strings.Repeat("11", 32)
	code, res, stderr := runMain(t, "--relay", "192.0.2.1:4433", "--relay-key", key)
	if code != ExitUsage || res != nil {
		t.Fatalf("exit %d, result %v; want %d and no result", code, res, ExitUsage)
	}
	if !strings.Contains(stderr, "loopback") {
		t.Errorf("stderr does not explain: %q", stderr)
	}
}

func TestMainRefusesTwoWorkloads(t *testing.T) {
	code, _, _ := runMain(t, "--idle", "5", "--connect", "5")
	if code != ExitUsage {
		t.Fatalf("exit %d, want %d", code, ExitUsage)
	}
}

func TestMainRefusesBadRelayKey(t *testing.T) {
	code, _, stderr := runMain(t, "--relay", "127.0.0.1:4433", "--relay-key", "zz")
	if code != ExitUsage || !strings.Contains(stderr, "--relay-key") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// TestMainWrongRelayKey: a relay whose key differs from --relay-key is
// never used; the run reports the failure.
func TestMainWrongRelayKey(t *testing.T) {
	addr, _ := startTestRelay(t)
	_, key := startTestRelay(t)
	code, res, stderr := runMain(t, "--relay", addr, "--relay-key", key, "--pairs", "1", "--rounds", "1", "--timeout", "20s", "--op-timeout", "5s")
	if code != ExitFailed {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, ExitFailed, stderr)
	}
	if number(t, res, "errors") == 0 || number(t, res, "msgs") != 0 {
		t.Errorf("result %v", res)
	}
}

// TestMainSocketAndGCSettings: the default run (one socket per user)
// reports the GC target; --shared-socket (one socket for all users) and
// --gc-percent work and are reported; the GC setting is restored after.
func TestMainSocketAndGCSettings(t *testing.T) {
	addr, key := startTestRelay(t)
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	code, res, stderr := runMain(t, "--relay", addr, "--relay-key", key, "--pairs", "2", "--rounds", "3", "--timeout", "30s")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if res["shared_socket"] != false || number(t, res, "gc_percent") != defaultGCPercent {
		t.Errorf("default settings reported as %v / %v", res["shared_socket"], res["gc_percent"])
	}
	code, res, stderr = runMain(t, "--relay", addr, "--relay-key", key, "--pairs", "2", "--rounds", "3",
		"--shared-socket", "--gc-percent", "150", "--timeout", "30s")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if res["shared_socket"] != true || number(t, res, "gc_percent") != 150 || number(t, res, "msgs") != 24 {
		t.Errorf("shared socket run: %v", res)
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GC percent after the run is %d, want it restored to 100", got)
	}
}

// TestMainRejectsGCPercentZero: 0 (collect continuously) is a usage error.
func TestMainRejectsGCPercentZero(t *testing.T) {
	if code, _, _ := runMain(t, "--gc-percent", "0"); code != ExitUsage {
		t.Errorf("--gc-percent 0: exit %d, want %d", code, ExitUsage)
	}
}

// TestMainRejectsGCPercentTooLarge: a target above maxGCPercent is a usage error.
func TestMainRejectsGCPercentTooLarge(t *testing.T) {
	if code, _, _ := runMain(t, "--gc-percent", "100001"); code != ExitUsage {
		t.Errorf("--gc-percent 100001: exit %d, want %d", code, ExitUsage)
	}
}
