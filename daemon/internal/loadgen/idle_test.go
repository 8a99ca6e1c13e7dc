package loadgen

import "testing"

// TestIdleRSSPerExtraConnection: the idle workload reports the relay's
// memory per connection over all of them (it includes the relay's fixed
// memory) and per connection beyond the accounts' own, from the RSS
// before those were opened.
func TestIdleRSSPerExtraConnection(t *testing.T) {
	res := &Result{Conns: 1000, Users: 100}
	res.setRSS(200_000_000, 110_000_000)
	if res.RSSPerConnB != 200_000 {
		t.Errorf("per connection %d, want 200000", res.RSSPerConnB)
	}
	if res.RSSPerExtraConnB != 100_000 {
		t.Errorf("per extra connection %d, want (200 MB - 110 MB) / 900 = 100000", res.RSSPerExtraConnB)
	}
	if res.RelayRSSHoldB != 200_000_000 || res.RelayRSSBaseB != 110_000_000 {
		t.Errorf("hold %d, before %d", res.RelayRSSHoldB, res.RelayRSSBaseB)
	}
}

// TestIdleRSSNoExtraConnections: with no connection beyond the accounts
// (or no usable base) there is no per-extra figure, rather than a
// division by zero or a negative number.
func TestIdleRSSNoExtraConnections(t *testing.T) {
	res := &Result{Conns: 100, Users: 100}
	res.setRSS(200_000_000, 110_000_000)
	if res.RSSPerExtraConnB != 0 {
		t.Errorf("per extra connection %d with none extra, want 0", res.RSSPerExtraConnB)
	}
	res = &Result{Conns: 1000, Users: 100}
	res.setRSS(100_000_000, 110_000_000) // RSS fell below the base (memory returned)
	if res.RSSPerExtraConnB != 0 {
		t.Errorf("per extra connection %d with RSS below the base, want 0", res.RSSPerExtraConnB)
	}
}
