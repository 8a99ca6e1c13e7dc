package integration

import (
	"sync"
	"testing"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/integration/faultproxy"
)

// TestLossAndReorder is scenario 8: with 5% loss and 10% reordering both
// ways between the daemons and the relay, scenario 1 still completes
// (registration included), and a stream of lossCount messages each way
// arrives complete, once each.
func TestLossAndReorder(t *testing.T) {
	lossy := faultproxy.Faults{Drop: 0.05, Reorder: 0.10}
	var proxy *faultproxy.Proxy
	p := startPair(t, func(r *relayNode) string {
		proxy = startProxy(t, r, lossy, lossy)
		return proxy.Addr()
	})
	exchange(t, p, 2)
	var aSent, bSent []api.Message
	var wg sync.WaitGroup
	p.alice.sendAsync(t, &wg, "bob", numbered("lossy a->b", 0, lossCount), &aSent)
	p.bob.sendAsync(t, &wg, "alice", numbered("lossy b->a", 0, lossCount), &bSent)
	wg.Wait()
	if err := p.alice.awaitOutgoing(deliverTimeout, "bob", 2+lossCount, api.StatusDelivered); err != nil {
		t.Error(err)
	}
	if err := p.bob.awaitOutgoing(deliverTimeout, "alice", 2+lossCount, api.StatusDelivered); err != nil {
		t.Error(err)
	}
	aEnd, bEnd := p.alice.mustHistory(t, "bob"), p.bob.mustHistory(t, "alice")
	checkFlow(t, "alice->bob", aSent, nil, aEnd, bEnd)
	checkFlow(t, "bob->alice", bSent, nil, bEnd, aEnd)
	st := proxy.Stats()
	if st.Up.Dropped == 0 || st.Down.Dropped == 0 || st.Up.Reordered == 0 || st.Down.Reordered == 0 {
		t.Fatalf("the proxy injected no loss or reordering in some direction: %+v", st)
	}
}
