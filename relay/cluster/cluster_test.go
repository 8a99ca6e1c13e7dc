package cluster

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/securep2p/securep2p/relay/relaytest/hopclient"
	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

// deployment is three relay nodes on one NATS cluster, sharing one key.
type deployment struct {
	nats  *natsCluster
	key   *secp.PrivateKey
	nodes []*relayNode
}

func startDeployment(t *testing.T, nc *natsCluster) *deployment {
	t.Helper()
	d := &deployment{nats: nc, key: newRelayKey(t)}
	for i := range 3 {
		// each relay node talks to a different NATS server first
		urls := append(append([]string{}, nc.urls[i%len(nc.urls):]...), nc.urls[:i%len(nc.urls)]...)
		d.nodes = append(d.nodes, startRelayNode(t, nc.open(t, Config{URLs: urls}), d.key))
	}
	return d
}

func (d *deployment) connect(t *testing.T, i int, u *user, register bool) *client {
	t.Helper()
	return hopclient.Connect(t, d.nodes[i].addr, d.key.Public(), u, register)
}

var userSeq struct {
	sync.Mutex
	n int
}

// uniqueUser makes a user whose name no other test uses (tests share the
// NATS cluster).
func uniqueUser(t testing.TB, base string, opks int) *user {
	userSeq.Lock()
	userSeq.n++
	n := userSeq.n
	userSeq.Unlock()
	return hopclient.NewUser(t, fmt.Sprintf("%s%d_%d", base, n, time.Now().UnixNano()%1e6), opks)
}

// sendAccepted sends id until it is Accepted, retrying on CodeInternal and
// CodeShuttingDown (a NATS election or a stopping node).
func sendAccepted(t *testing.T, c *client, id []byte, to *user, body string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c.Send(id, to, body)
		f := c.Next()
		if f.Accepted != nil && string(f.Accepted.ID) == string(id) {
			return
		}
		if code := hopclient.ErrCode(f); code != wire.CodeInternal || time.Now().After(deadline) {
			t.Fatalf("send: got %v %v", f.Type(), code)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// receive reads n Delivers (acking each), ignoring other frames, and fails
// on any id delivered twice.
func receive(t *testing.T, c *client, n int, seen map[string]string) []string {
	t.Helper()
	var bodies []string
	for len(bodies) < n {
		f := c.Next()
		if f.Deliver == nil {
			continue
		}
		id := string(f.Deliver.ID)
		if _, dup := seen[id]; dup {
			t.Fatalf("message delivered twice: %q", f.Deliver.Body)
		}
		seen[id] = string(f.Deliver.Body)
		bodies = append(bodies, string(f.Deliver.Body))
		c.Ack(f.Deliver.ID)
	}
	return bodies
}

func TestExchangeAcrossNodes(t *testing.T) {
	d := startDeployment(t, sharedNATS(t))
	alice, bob := uniqueUser(t, "alice", 5), uniqueUser(t, "bob", 5)
	ac := d.connect(t, 0, alice, true)
	bc := d.connect(t, 1, bob, true)
	for i := range 10 {
		sendAccepted(t, ac, hopclient.NewMsgID(), bob, fmt.Sprintf("a%d", i))
	}
	got := receive(t, bc, 10, map[string]string{})
	for i, b := range got {
		if b != fmt.Sprintf("a%d", i) {
			t.Fatalf("bob got %q at %d: order broken", b, i)
		}
	}
	sendAccepted(t, bc, hopclient.NewMsgID(), alice, "hi alice")
	if got := receive(t, ac, 1, map[string]string{}); got[0] != "hi alice" {
		t.Fatalf("alice got %q", got[0])
	}
	if extra := bc.Sync(); len(extra) != 0 {
		t.Fatalf("bob got %d extra frames", len(extra))
	}
}

func TestOfflineRecipientReturnsOnOtherNode(t *testing.T) {
	d := startDeployment(t, sharedNATS(t))
	alice, bob := uniqueUser(t, "alice", 0), uniqueUser(t, "bob", 0)
	ac := d.connect(t, 0, alice, true)
	bc := d.connect(t, 1, bob, true)
	bc.Conn.CloseWithError(0, "")
	const n = 30
	for i := range n {
		sendAccepted(t, ac, hopclient.NewMsgID(), bob, fmt.Sprintf("m%d", i))
	}
	seen := map[string]string{}
	bc = d.connect(t, 2, bob, false)
	got := receive(t, bc, n, seen)
	for i, b := range got {
		if b != fmt.Sprintf("m%d", i) {
			t.Fatalf("got %q at %d: order broken", b, i)
		}
	}
	bc.Sync() // acks are written before the Pong is read back
	bc.Conn.CloseWithError(0, "")
	time.Sleep(200 * time.Millisecond) // acks are applied asynchronously
	bc = d.connect(t, 0, bob, false)
	for _, f := range bc.Sync() {
		if f.Deliver != nil {
			t.Fatalf("acked message %q delivered again", f.Deliver.Body)
		}
	}
}

func TestRegisterSameNameOnTwoNodes(t *testing.T) {
	d := startDeployment(t, sharedNATS(t))
	u := uniqueUser(t, "carol", 3)
	c1, c2 := hopclient.Dial(t, d.nodes[0].addr, d.key.Public()), hopclient.Dial(t, d.nodes[1].addr, d.key.Public())
	var wg sync.WaitGroup
	var f1, f2 *wire.Frame
	wg.Add(2)
	go func() { defer wg.Done(); f1 = c1.RegisterAsync(u) }()
	go func() { defer wg.Done(); f2 = c2.RegisterAsync(u) }()
	wg.Wait()
	wins := 0
	for _, f := range []*wire.Frame{f1, f2} {
		switch {
		case f.Welcome != nil:
			wins++
		case hopclient.ErrCode(f) != wire.CodeUserExists:
			t.Fatalf("got %v %v, want Welcome or UserExists", f.Type(), hopclient.ErrCode(f))
		}
	}
	if wins != 1 {
		t.Fatalf("%d registrations won, want exactly 1", wins)
	}
}

func TestFetchBundleOnTwoNodesDistinctPrekeys(t *testing.T) {
	d := startDeployment(t, sharedNATS(t))
	const opks = 16
	bob := uniqueUser(t, "bob", opks)
	d.connect(t, 2, bob, true)
	fetchers := []*client{d.connect(t, 0, uniqueUser(t, "f", 0), true), d.connect(t, 1, uniqueUser(t, "g", 0), true)}
	ids := make(chan uint32, opks+2)
	var wg sync.WaitGroup
	for _, c := range fetchers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range opks/2 + 1 {
				f := c.CallAsync(&wire.Frame{FetchBundle: &wire.FetchBundle{Username: bob.Name}})
				if f.Bundle == nil {
					t.Errorf("got %v %v, want Bundle", f.Type(), hopclient.ErrCode(f))
					return
				}
				if f.Bundle.OneTime != nil {
					ids <- f.Bundle.OneTime.ID
				}
			}
		}()
	}
	wg.Wait()
	close(ids)
	got := map[uint32]bool{}
	for id := range ids {
		if got[id] {
			t.Fatalf("one-time prekey %d handed out twice", id)
		}
		got[id] = true
	}
	if len(got) != opks {
		t.Fatalf("%d distinct prekeys handed out, want %d", len(got), opks)
	}
}

func TestNATSServerKilledServiceContinues(t *testing.T) {
	nc := startNATS(t, 3)
	d := startDeployment(t, nc)
	alice, bob := uniqueUser(t, "alice", 0), uniqueUser(t, "bob", 0)
	ac := d.connect(t, 0, alice, true)
	bc := d.connect(t, 1, bob, true)
	seen := map[string]string{}
	for i := range 5 {
		sendAccepted(t, ac, hopclient.NewMsgID(), bob, fmt.Sprintf("before%d", i))
	}
	receive(t, bc, 5, seen)
	nc.kill(0)
	for i := range 5 {
		sendAccepted(t, ac, hopclient.NewMsgID(), bob, fmt.Sprintf("after%d", i))
	}
	got := receive(t, bc, 5, seen)
	for i, b := range got {
		if b != fmt.Sprintf("after%d", i) {
			t.Fatalf("got %q at %d", b, i)
		}
	}
	carol := uniqueUser(t, "carol", 2)
	d.connect(t, 2, carol, true) // accounts still writable
}
