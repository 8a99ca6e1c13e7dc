package cluster

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/securep2p/securep2p/relay/store"
	"github.com/securep2p/securep2p/wire"
)

// Store-level tests of the batched append and ack paths on the shared
// three-server NATS cluster.

func openStoreNode(t *testing.T, cfg Config) *Node {
	t.Helper()
	return sharedNATS(t).open(t, cfg)
}

func createTestAccount(t *testing.T, n *Node, base string) string {
	t.Helper()
	name := uniqueUser(t, base, 0).Name
	key := bytes.Repeat([]byte{2}, wire.KeySize)
	a := store.Account{Username: name, PasswordHash: []byte("h"), IdentityKey: key, CreatedAt: time.Now(),
		SignedPrekey: wire.SignedPrekey{ID: 1, Key: key, Signature: make([]byte, wire.SigSize)}}
	if err := n.CreateAccount(a, nil); err != nil {
		t.Fatal(err)
	}
	return name
}

func testEnvelope(to string, i int, size int) store.Envelope {
	now := time.Now()
	e := store.Envelope{To: to, From: "sender", Body: bytes.Repeat([]byte{byte(i)}, size),
		SentAt: now, ExpiresAt: now.Add(time.Hour)}
	copy(e.ID[:], fmt.Sprintf("id-%08d", i))
	return e
}

type appendAnswer struct {
	res store.AppendResult
	err error
}

// appendAll submits envs at once (one batch where the worker allows) and
// returns the answers in submission order.
func appendAll(n *Node, envs []store.Envelope) []appendAnswer {
	out := make([]appendAnswer, len(envs))
	done := make(chan int, len(envs))
	for i, e := range envs {
		n.Append(e, nil, func(res store.AppendResult, err error) {
			out[i] = appendAnswer{res, err}
			done <- i
		})
	}
	for range envs {
		<-done
	}
	return out
}

func ackSync(t *testing.T, n *Node, user string, id store.ID) store.AckResult {
	t.Helper()
	ch := make(chan store.AckResult, 1)
	n.Ack(user, id, func(res store.AckResult, err error) {
		if err != nil {
			t.Error(err)
		}
		ch <- res
	})
	return <-ch
}

func TestAppendOrderPerRecipient(t *testing.T) {
	n := openStoreNode(t, Config{})
	bob := createTestAccount(t, n, "order")
	var envs []store.Envelope
	for i := range 300 {
		envs = append(envs, testEnvelope(bob, i, 10))
	}
	var last uint64
	for i, a := range appendAll(n, envs) {
		if a.err != nil || a.res.Status != store.Stored || a.res.Seq <= last {
			t.Fatalf("append %d: %+v %v (after seq %d)", i, a.res, a.err, last)
		}
		last = a.res.Seq
	}
	got, err := n.Pending(bob, 0, time.Now(), 1000)
	if err != nil || len(got) != len(envs) {
		t.Fatalf("pending: %d envelopes, %v", len(got), err)
	}
	for i := range got {
		if got[i].ID != envs[i].ID {
			t.Fatalf("pending[%d] is %q, want %q", i, got[i].ID[:], envs[i].ID[:])
		}
	}
}

func TestAppendResentIDIsDuplicate(t *testing.T) {
	n := openStoreNode(t, Config{})
	bob := createTestAccount(t, n, "resend")
	e := testEnvelope(bob, 1, 10)
	// the same id twice in one batch, then once more alone
	ans := appendAll(n, []store.Envelope{e, e})
	ans = append(ans, appendAll(n, []store.Envelope{e})...)
	if ans[0].res.Status != store.Stored || ans[1].res.Status != store.Duplicate || ans[2].res.Status != store.Duplicate {
		t.Fatalf("answers %+v %v", ans, ans[1].err)
	}
	if got, _ := n.Pending(bob, 0, time.Now(), 10); len(got) != 1 {
		t.Fatalf("stored %d copies", len(got))
	}
}

func TestAppendAfterAckIsDuplicate(t *testing.T) {
	n := openStoreNode(t, Config{})
	bob := createTestAccount(t, n, "acked")
	e := testEnvelope(bob, 1, 10)
	if a := appendAll(n, []store.Envelope{e}); a[0].res.Status != store.Stored {
		t.Fatalf("append: %+v", a[0])
	}
	got, err := n.Pending(bob, 0, time.Now(), 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("pending: %d, %v", len(got), err)
	}
	if res := ackSync(t, n, bob, e.ID); !res.Removed || res.Size != e.Size() {
		t.Fatalf("ack: %+v", res)
	}
	if res := ackSync(t, n, bob, e.ID); res.Removed {
		t.Fatal("second ack removed again")
	}
	if a := appendAll(n, []store.Envelope{e}); a[0].res.Status != store.Duplicate {
		t.Fatalf("re-send after ack: %+v", a[0])
	}
	if got, _ := n.Pending(bob, 0, time.Now(), 10); len(got) != 0 {
		t.Fatalf("re-send after ack stored again: %d", len(got))
	}
}

// TestAckOnOtherNode: an ack arriving where Pending never ran finds the
// envelope through the index.
func TestAckOnOtherNode(t *testing.T) {
	n1 := openStoreNode(t, Config{})
	n2 := openStoreNode(t, Config{})
	bob := createTestAccount(t, n1, "ackother")
	e := testEnvelope(bob, 1, 10)
	if a := appendAll(n1, []store.Envelope{e}); a[0].err != nil || a[0].res.Status != store.Stored {
		t.Fatalf("append: %+v %v", a[0].res, a[0].err)
	}
	if res := ackSync(t, n2, bob, e.ID); !res.Removed {
		t.Fatalf("ack: %+v", res)
	}
	if got, _ := n1.Pending(bob, 0, time.Now(), 10); len(got) != 0 {
		t.Fatal("acked envelope still pending")
	}
}

func TestAppendByteQuota(t *testing.T) {
	n := openStoreNode(t, Config{MailboxMaxBytes: 100})
	bob := createTestAccount(t, n, "quota")
	ans := appendAll(n, []store.Envelope{testEnvelope(bob, 1, 60), testEnvelope(bob, 2, 60)})
	if ans[0].res.Status != store.Stored || ans[1].res.Status != store.MailboxFull {
		t.Fatalf("answers %+v %v", ans, ans[1].err)
	}
	e := testEnvelope(bob, 1, 60)
	n.Pending(bob, 0, time.Now(), 10)
	ackSync(t, n, bob, e.ID)
	if a := appendAll(n, []store.Envelope{testEnvelope(bob, 3, 60)}); a[0].res.Status != store.Stored {
		t.Fatalf("after ack the bytes are free again: %+v", a[0])
	}
}

func TestAppendUnknownUser(t *testing.T) {
	n := openStoreNode(t, Config{})
	if a := appendAll(n, []store.Envelope{testEnvelope("nobody_here", 1, 10)}); a[0].res.Status != store.UnknownUser {
		t.Fatalf("answer %+v", a[0])
	}
}

// TestAppendRightAfterRegisterOnOtherNode: a send to a user registered an
// instant earlier on another node finds the account (reads go to the
// bucket's leader, never to a replica that may lag).
func TestAppendRightAfterRegisterOnOtherNode(t *testing.T) {
	n1 := openStoreNode(t, Config{})
	n2 := openStoreNode(t, Config{})
	for i := range 20 {
		bob := createTestAccount(t, n1, fmt.Sprintf("fresh%d", i))
		if a := appendAll(n2, []store.Envelope{testEnvelope(bob, i, 10)}); a[0].err != nil || a[0].res.Status != store.Stored {
			t.Fatalf("append %d: %+v %v", i, a[0].res, a[0].err)
		}
	}
}

// TestAckOnOtherNodeRightAfterAppend: an ack on another node the instant
// the append returned removes the envelope (index read on the leader).
func TestAckOnOtherNodeRightAfterAppend(t *testing.T) {
	n1 := openStoreNode(t, Config{})
	n2 := openStoreNode(t, Config{})
	bob := createTestAccount(t, n1, "ackfast")
	for i := range 20 {
		e := testEnvelope(bob, i, 10)
		if a := appendAll(n1, []store.Envelope{e}); a[0].res.Status != store.Stored {
			t.Fatalf("append %d: %+v %v", i, a[0].res, a[0].err)
		}
		if res := ackSync(t, n2, bob, e.ID); !res.Removed || res.Size != e.Size() {
			t.Fatalf("ack %d: %+v", i, res)
		}
	}
	if got, _ := n1.Pending(bob, 0, time.Now(), 100); len(got) != 0 {
		t.Fatalf("%d acked envelopes still pending", len(got))
	}
}

// TestAckUnknownIDLeavesMailbox: an ack of an id that is not in the
// mailbox removes nothing and reports no removal.
func TestAckUnknownIDLeavesMailbox(t *testing.T) {
	n1 := openStoreNode(t, Config{})
	n2 := openStoreNode(t, Config{})
	bob := createTestAccount(t, n1, "ackunknown")
	e := testEnvelope(bob, 1, 10)
	if a := appendAll(n1, []store.Envelope{e}); a[0].res.Status != store.Stored {
		t.Fatalf("append: %+v %v", a[0].res, a[0].err)
	}
	if res := ackSync(t, n2, bob, testEnvelope(bob, 2, 10).ID); res.Removed {
		t.Fatalf("ack of an unknown id: %+v", res)
	}
	if got, _ := n1.Pending(bob, 0, time.Now(), 10); len(got) != 1 || got[0].ID != e.ID {
		t.Fatalf("mailbox after a stray ack: %d envelopes", len(got))
	}
}
