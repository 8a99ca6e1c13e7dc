package loadgen

import (
	"strings"
	"testing"
)

// TestPairNodesDiffer: with several nodes the two users of a pair are on
// different nodes, and pairs use every node.
func TestPairNodesDiffer(t *testing.T) {
	for n := 2; n <= 4; n++ {
		used := map[int]bool{}
		for i := range 3 * n {
			resp, init := pairNodes(i, n)
			if resp == init || resp < 0 || resp >= n || init < 0 || init >= n {
				t.Fatalf("n=%d pair %d on nodes %d and %d", n, i, resp, init)
			}
			used[resp], used[init] = true, true
		}
		if len(used) != n {
			t.Errorf("n=%d: pairs use %d nodes", n, len(used))
		}
	}
	if resp, init := pairNodes(5, 1); resp != 0 || init != 0 {
		t.Errorf("one node: %d, %d", resp, init)
	}
}

// TestFanInNodeAvoidsReceiver: fan-in senders are never on the receiver's
// node 0 when there are several.
func TestFanInNodeAvoidsReceiver(t *testing.T) {
	for i := range 10 {
		if got := fanInNode(i, 3); got != 1+i%2 {
			t.Errorf("sender %d on node %d", i, got)
		}
		if got := fanInNode(i, 1); got != 0 {
			t.Errorf("one node: sender %d on node %d", i, got)
		}
	}
}

func TestMainRefusesNonLoopbackInRelayList(t *testing.T) {
	key := "02" + strings.Repeat("11", 32)
	code, res, stderr := runMain(t, "--relay", "127.0.0.1:4433,192.0.2.1:4433", "--relay-key", key)
	if code != ExitUsage || res != nil || !strings.Contains(stderr, "loopback") {
		t.Fatalf("exit %d, result %v, stderr %q", code, res, stderr)
	}
}

func TestMainRefusesEmptyRelayListItem(t *testing.T) {
	key := "02" + strings.Repeat("11", 32)
	code, _, stderr := runMain(t, "--relay", "127.0.0.1:4433,", "--relay-key", key)
	if code != ExitUsage || !strings.Contains(stderr, "--relay") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// TestMainPingPongSameNodeTwice: a list naming one relay twice works as
// two nodes (the counts and the result's relay field follow the list).
func TestMainPingPongSameNodeTwice(t *testing.T) {
	addr, key := startTestRelay(t)
	code, res, stderr := runMain(t, "--relay", addr+","+addr, "--relay-key", key, "--pairs", "2", "--rounds", "2", "--timeout", "30s")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if number(t, res, "relay_nodes") != 2 || number(t, res, "msgs") != 16 {
		t.Errorf("result %v", res)
	}
	if res["relay"] != addr+","+addr {
		t.Errorf("relay = %v", res["relay"])
	}
}
