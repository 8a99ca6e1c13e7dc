package relay

import (
	"context"
	"net"
	"testing"

	"github.com/securep2p/securep2p/relay/relaytest/hopclient"
	"github.com/securep2p/securep2p/wire"
)

// TestFetchLimitPerAccount: FetchBundle is limited per account, not only
// per connection. One account with several connections (older sessions
// stay logged in) must not together take more one-time prekeys than the
// account's burst.
func TestFetchLimitPerAccount(t *testing.T) {
	const burst, conns = 5, 4
	r := startRelay(t, Config{FetchBurst: burst, FetchRate: 0.001})
	victim := hopclient.NewUser(t, "victim", 50)
	connectAs(t, r, victim, true).Conn.CloseWithError(0, "")
	eve := hopclient.NewUser(t, "eve", 0)
	connectAs(t, r, eve, true).Conn.CloseWithError(0, "")
	taken, limited := 0, 0
	for range conns {
		c := connectAs(t, r, eve, false)
		for range burst {
			f := c.Call(&wire.Frame{FetchBundle: &wire.FetchBundle{Username: "victim"}})
			switch {
			case f.Bundle != nil:
				taken++
			case hopclient.ErrCode(f) == wire.CodeRateLimited:
				limited++
			default:
				t.Fatalf("unexpected reply %+v", f)
			}
		}
	}
	if taken != burst || limited != (conns-1)*burst {
		t.Fatalf("%d connections of one account took %d bundles (%d refused), want %d", conns, taken, limited, burst)
	}
}

// TestFetchLimitOtherAccountUnaffected: the account limit is the
// account's own; another account still fetches.
func TestFetchLimitOtherAccountUnaffected(t *testing.T) {
	const burst = 3
	r := startRelay(t, Config{FetchBurst: burst, FetchRate: 0.001})
	victim := hopclient.NewUser(t, "victim", 20)
	connectAs(t, r, victim, true).Conn.CloseWithError(0, "")
	eve := connectAs(t, r, hopclient.NewUser(t, "eve", 0), true)
	for range burst + 1 {
		eve.Call(&wire.Frame{FetchBundle: &wire.FetchBundle{Username: "victim"}})
	}
	bob := connectAs(t, r, hopclient.NewUser(t, "bob", 0), true)
	if f := bob.Call(&wire.Frame{FetchBundle: &wire.FetchBundle{Username: "victim"}}); f.Bundle == nil {
		t.Fatalf("another account was refused: %+v", f)
	}
}

// TestHashWaitEndsWithConnection: a login waiting for a hashing slot
// leaves the queue when its connection closes; it never hashes and does
// not count as a failed attempt for the name.
func TestHashWaitEndsWithConnection(t *testing.T) {
	r := startRelay(t, Config{MaxConcurrentHashes: 1})
	alice := hopclient.NewUser(t, "alice", 0)
	connectAs(t, r, alice, true).Conn.CloseWithError(0, "")
	r.srv.hasher.sem <- struct{}{} // the only slot is busy
	released := false
	release := func() {
		if !released {
			released = true
			<-r.srv.hasher.sem
		}
	}
	defer release()
	c := dial(t, r)
	c.Write(&wire.Frame{Req: 1, Login: &wire.Login{Username: "alice", Password: alice.Password, IdentityKey: alice.IDKey()}})
	c.Flush()
	waitFor(t, func() bool { return r.srv.hasher.waiting.Load() == 1 })
	c.Conn.CloseWithError(0, "")
	waitFor(t, func() bool { return r.srv.hasher.waiting.Load() == 0 })
	if ok, _ := r.srv.fails.check("alice", r.srv.now()); !ok || len(r.srv.fails.m) != 0 {
		t.Fatal("an abandoned login counted as a failure")
	}
	release()
	// The slot is free and nobody queued: a hash runs at once.
	if _, err := r.srv.hasher.hash(context.Background(), []byte("password")); err != nil {
		t.Fatal(err)
	}
}

// TestAddrKeyIPv6Prefix: per-address limits key IPv6 on its /64 (one
// subscriber's allocation), IPv4 on the full address.
func TestAddrKeyIPv6Prefix(t *testing.T) {
	key := func(s string) string { return addrKey(&net.UDPAddr{IP: net.ParseIP(s), Port: 4433}) }
	if key("2001:db8:1:2::1") != key("2001:db8:1:2:ffff:ffff:ffff:ffff") {
		t.Fatal("two addresses of one /64 have different keys")
	}
	if key("2001:db8:1:2::1") == key("2001:db8:1:3::1") {
		t.Fatal("two /64s share a key")
	}
	if key("192.0.2.1") == key("192.0.2.2") {
		t.Fatal("two IPv4 addresses share a key")
	}
	if key("::ffff:192.0.2.1") != key("192.0.2.1") {
		t.Fatal("an IPv4-mapped address differs from its IPv4 key")
	}
	tcp := &net.TCPAddr{IP: net.ParseIP("2001:db8:1:2::7"), Port: 1}
	if addrKey(tcp) != key("2001:db8:1:2::1") {
		t.Fatal("a non-UDP address of the same /64 has another key")
	}
}
