package cluster

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/securep2p/securep2p/relay/store"
)

// msgGets returns how many stream message gets reg's node has recorded.
func msgGets(t *testing.T, reg *prometheus.Registry) uint64 {
	t.Helper()
	return roundTrips(t, reg, opMsgGet)
}

// pendingGets runs Pending(user, after) and returns what it found and how
// many message gets it issued.
func pendingGets(t *testing.T, n *Node, reg *prometheus.Registry, user string, after uint64) ([]store.Envelope, uint64) {
	t.Helper()
	before := msgGets(t, reg)
	got, err := n.Pending(user, after, time.Now(), 64)
	if err != nil {
		t.Fatal(err)
	}
	return got, msgGets(t, reg) - before
}

// TestPendingOneEnvelopeTwoGets: a mailbox holding one envelope costs at
// most two message gets (the envelope and the miss after it), not a full
// round of pendingWidth reads.
func TestPendingOneEnvelopeTwoGets(t *testing.T) {
	reg := prometheus.NewRegistry()
	n := openStoreNode(t, Config{Registerer: reg})
	bob := createTestAccount(t, n, "onemsg")
	e := testEnvelope(bob, 1, 10)
	if a := appendAll(n, []store.Envelope{e}); a[0].err != nil || a[0].res.Status != store.Stored {
		t.Fatalf("append: %+v", a[0])
	}
	got, gets := pendingGets(t, n, reg, bob, 0)
	if len(got) != 1 || got[0].ID != e.ID {
		t.Fatalf("pending: %d envelopes", len(got))
	}
	if gets > 2 {
		t.Fatalf("pending issued %d message gets, want at most 2", gets)
	}
}

// TestPendingLiveEnvelopeAfterGapTwoGets: the live case, one new envelope
// far after the cursor (other users' envelopes in between), also costs at
// most two message gets.
func TestPendingLiveEnvelopeAfterGapTwoGets(t *testing.T) {
	reg := prometheus.NewRegistry()
	n := openStoreNode(t, Config{Registerer: reg})
	bob := createTestAccount(t, n, "livebob")
	carol := createTestAccount(t, n, "livecarol")
	first := appendAll(n, []store.Envelope{testEnvelope(bob, 1, 10)})
	var others []store.Envelope
	for i := range 2 * pendingWidth {
		others = append(others, testEnvelope(carol, 100+i, 10))
	}
	appendAll(n, others)
	e := testEnvelope(bob, 2, 10)
	if a := appendAll(n, []store.Envelope{e}); a[0].err != nil || a[0].res.Status != store.Stored {
		t.Fatalf("append: %+v", a[0])
	}
	got, gets := pendingGets(t, n, reg, bob, first[0].res.Seq)
	if len(got) != 1 || got[0].ID != e.ID {
		t.Fatalf("pending: %d envelopes", len(got))
	}
	if gets > 2 {
		t.Fatalf("pending issued %d message gets, want at most 2", gets)
	}
}

// TestPendingDenseMailboxInOrder: a dense mailbox longer than several
// rounds (widths 1, 1, 2, 4, 8, 16, 16...) comes back complete and in
// order, and max cuts it exactly.
func TestPendingDenseMailboxInOrder(t *testing.T) {
	n := openStoreNode(t, Config{})
	bob := createTestAccount(t, n, "dense")
	var envs []store.Envelope
	for i := range 70 {
		envs = append(envs, testEnvelope(bob, i, 10))
	}
	for i, a := range appendAll(n, envs) {
		if a.err != nil || a.res.Status != store.Stored {
			t.Fatalf("append %d: %+v %v", i, a.res, a.err)
		}
	}
	for _, max := range []int{70, 37, 1} {
		got, err := n.Pending(bob, 0, time.Now(), max)
		if err != nil || len(got) != max {
			t.Fatalf("pending(max %d): %d envelopes, %v", max, len(got), err)
		}
		for i := range got {
			if got[i].ID != envs[i].ID {
				t.Fatalf("pending(max %d)[%d] is %q, want %q", max, i, got[i].ID[:], envs[i].ID[:])
			}
		}
	}
}

func TestNextWidth(t *testing.T) {
	dense := func(from uint64, k int) []storedEnvelope {
		out := make([]storedEnvelope, k)
		for i := range out {
			out[i].seq = from + uint64(i)
		}
		return out
	}
	width, run := 1, 0
	var widths []int
	for from := uint64(1); len(widths) < 7; from += uint64(width) {
		width, run = nextWidth(from, dense(from, width), run)
		widths = append(widths, width)
	}
	want := []int{1, 2, 4, 8, 16, 16, 16}
	for i := range want {
		if widths[i] != want[i] {
			t.Fatalf("dense widths %v, want %v", widths, want)
		}
	}
	if w, r := nextWidth(10, []storedEnvelope{{seq: 10}, {seq: 14}}, 8); w != 1 || r != 0 {
		t.Fatalf("after a gap: width %d run %d, want 1 0", w, r)
	}
}
