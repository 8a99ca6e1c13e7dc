package cluster

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/securep2p/securep2p/relay/store"
)

// roundTrips returns how many requests of op reg's node has recorded.
func roundTrips(t *testing.T, reg *prometheus.Registry, op string) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "securep2p_relay_cluster_nats_roundtrip_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "op" && l.GetValue() == op {
					return m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return 0 // no request of op yet
}

// TestAckUnknownIDsReadNothing: one Ack frame carries up to 256 ids; an id
// the recipient never received must not make the node scan the
// recipient's mailbox (one leader read per envelope, on a worker other
// recipients share). Each unknown id costs one index read and no message
// read, whatever the mailbox holds, and removes nothing.
func TestAckUnknownIDsReadNothing(t *testing.T) {
	reg := prometheus.NewRegistry()
	n := openStoreNode(t, Config{Workers: 1, Registerer: reg})
	mallory := createTestAccount(t, n, "scan")
	const size, ids = 100, 64
	var envs []store.Envelope
	for i := range size {
		envs = append(envs, testEnvelope(mallory, i, 10))
	}
	for i, a := range appendAll(n, envs) {
		if a.err != nil || a.res.Status != store.Stored {
			t.Fatalf("append %d: %+v %v", i, a.res, a.err)
		}
	}
	gets, kvGets := msgGets(t, reg), roundTrips(t, reg, opKVGet)
	for i := range ids {
		var id store.ID
		copy(id[:], []byte{0xee, byte(i)}) // ids mallory never received
		if res := ackSync(t, n, mallory, id); res.Removed {
			t.Fatalf("ack of unknown id %d removed something: %+v", i, res)
		}
	}
	if got := msgGets(t, reg) - gets; got != 0 {
		t.Errorf("%d unknown ids on a %d-envelope mailbox cost %d message reads, want 0", ids, size, got)
	}
	if got := roundTrips(t, reg, opKVGet) - kvGets; got != ids {
		t.Errorf("%d unknown ids cost %d index reads, want %d", ids, got, ids)
	}
	if got, _ := n.Pending(mallory, 0, time.Now(), 2*size); len(got) != size {
		t.Fatalf("mailbox after unknown acks: %d envelopes, want %d", len(got), size)
	}
}

// TestAckBeforeIndexEntry: an envelope Pending returned before its index
// entry was written (the append still finishing, or its node died before
// writing it) is removed by an Ack on the node that returned it, without
// any index entry; on a node that never returned it the Ack removes
// nothing and the envelope stays to be delivered again.
func TestAckBeforeIndexEntry(t *testing.T) {
	n1 := openStoreNode(t, Config{})
	n2 := openStoreNode(t, Config{})
	bob := createTestAccount(t, n1, "noindex")
	e := testEnvelope(bob, 1, 10)
	if a := appendAll(n1, []store.Envelope{e}); a[0].err != nil || a[0].res.Status != store.Stored {
		t.Fatalf("append: %+v %v", a[0].res, a[0].err)
	}
	key := indexKey(bob, e.ID)
	_, rev, found, err := n1.get(n1.index, key)
	if err != nil || !found {
		t.Fatalf("index entry: found %v, %v", found, err)
	}
	if err := n1.del(n1.index, key, rev); err != nil {
		t.Fatal(err)
	}
	if got, err := n1.Pending(bob, 0, time.Now(), 10); err != nil || len(got) != 1 {
		t.Fatalf("pending: %d envelopes, %v", len(got), err)
	}
	if res := ackSync(t, n2, bob, e.ID); res.Removed {
		t.Fatalf("ack on a node that never delivered it, without an index entry: %+v", res)
	}
	if res := ackSync(t, n1, bob, e.ID); !res.Removed || res.Size != e.Size() {
		t.Fatalf("ack on the delivering node: %+v", res)
	}
	if got, _ := n2.Pending(bob, 0, time.Now(), 10); len(got) != 0 {
		t.Fatalf("%d envelopes left after the ack", len(got))
	}
}
