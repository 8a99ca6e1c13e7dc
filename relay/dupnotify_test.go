package relay

import (
	"sync"
	"testing"

	"github.com/securep2p/securep2p/relay/relaytest/hopclient"
)

// lossyRouter is the in-process router except that it drops the first
// Notify for each user, like a notification lost with a relay node or a
// connection between a commit and its wake-up.
type lossyRouter struct {
	Router
	mu      sync.Mutex
	dropped map[string]bool
}

func (r *lossyRouter) Notify(user string) {
	r.mu.Lock()
	drop := !r.dropped[user]
	r.dropped[user] = true
	r.mu.Unlock()
	if !drop {
		r.Router.Notify(user)
	}
}

// TestDuplicateSendWakesRecipient: the envelope was stored but the wake-up
// of the connected recipient was lost. The sender, not told anything it
// trusts, sends the same id again: the relay answers Accepted (a
// duplicate is not stored twice) and wakes the recipient, which then
// reads the envelope from its mailbox — once.
func TestDuplicateSendWakesRecipient(t *testing.T) {
	r := startRelay(t, Config{Router: &lossyRouter{Router: NewLocalRouter(), dropped: map[string]bool{}}})
	bob := hopclient.NewUser(t, "bob", 0)
	bc := connectAs(t, r, bob, true)
	ac := connectAs(t, r, hopclient.NewUser(t, "alice", 0), true)
	id := ac.SendOK(bob, "stored, but bob was not woken")
	noDeliver(t, bc.Sync())
	ac.Send(id, bob, "stored, but bob was not woken")
	allAccepted(t, ac, [][]byte{id})
	receiveInOrder(t, bc, [][]byte{id})
	noDeliver(t, bc.Sync())
}
