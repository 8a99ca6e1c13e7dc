package engine

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/store"
)

func (n *node) inspect(id string) api.InspectResult {
	n.t.Helper()
	r, err := n.e.Inspect(context.Background(), api.InspectParams{ID: id})
	if err != nil {
		n.t.Fatalf("inspect %s: %v", id, err)
	}
	return r
}

// wantAD is the associated data's prefix: version, sender and recipient
// identity keys, both names (the binary header follows).
func wantAD(from, to *node, fromName, toName string) string {
	return "01" + hex.EncodeToString(from.e.id.Public().Bytes()) + hex.EncodeToString(to.e.id.Public().Bytes()) +
		hex.EncodeToString([]byte{byte(len(fromName))}) + hex.EncodeToString([]byte(fromName)) +
		hex.EncodeToString([]byte{byte(len(toName))}) + hex.EncodeToString([]byte(toName)) + "01" // header: version
}

// TestInspectFillsPrekeyIDsAndAssociatedData: both sides show the same
// associated data for a message (each rebuilt it from its own view), with
// the prekey IDs on the first message and none on the reply.
func TestInspectFillsPrekeyIDsAndAssociatedData(t *testing.T) {
	r := startRelay(t)
	alice, bob := startNode(t, r.addr, ""), startNode(t, r.addr, "")
	alice.register("alice")
	bob.register("bob")
	first := alice.send("bob", "hello bob", api.StatusDelivered).Message.ID
	out, in := alice.inspect(first), bob.inspect(first)
	if !out.Initial || out.SignedPrekeyID == 0 || out.OneTimePrekeyID == 0 || out.EphemeralKey == "" {
		t.Fatalf("prekey message without its prekey IDs: %+v", out)
	}
	if !strings.HasPrefix(out.AssociatedData, wantAD(alice, bob, "alice", "bob")) || out.AssociatedData != in.AssociatedData {
		t.Fatalf("associated data differs:\nalice %s\nbob   %s", out.AssociatedData, in.AssociatedData)
	}
	if in.SignedPrekeyID != out.SignedPrekeyID || in.OneTimePrekeyID != out.OneTimePrekeyID || in.SenderFingerprint != out.SenderFingerprint {
		t.Fatalf("sides disagree: %+v vs %+v", out, in)
	}
	reply := bob.send("alice", "hi alice", api.StatusDelivered).Message.ID
	out, in = bob.inspect(reply), alice.inspect(reply)
	if out.Initial || out.SignedPrekeyID != 0 || out.OneTimePrekeyID != 0 {
		t.Fatalf("ratchet message shows prekey values: %+v", out)
	}
	if !strings.HasPrefix(out.AssociatedData, wantAD(bob, alice, "bob", "alice")) || out.AssociatedData != in.AssociatedData {
		t.Fatalf("reply associated data differs:\nbob   %s\nalice %s", out.AssociatedData, in.AssociatedData)
	}
}

// TestInspectShowsNoSecrets: no 8-byte window of an identity private key,
// a signed prekey private key, or a stored session secret (root key, chain
// keys, ratchet private key, skipped-key seeds) appears in inspect output.
func TestInspectShowsNoSecrets(t *testing.T) {
	r := startRelay(t)
	alice, bob := startNode(t, r.addr, ""), startNode(t, r.addr, "")
	alice.register("alice")
	bob.register("bob")
	ids := []string{alice.send("bob", "one", api.StatusDelivered).Message.ID,
		bob.send("alice", "two", api.StatusDelivered).Message.ID, alice.send("bob", "three", api.StatusDelivered).Message.ID}
	var secrets []string
	for _, p := range []struct {
		n    *node
		peer string
	}{{alice, "bob"}, {bob, "alice"}} {
		secrets = append(secrets, hex.EncodeToString(p.n.e.id.Key().Bytes()))
		secrets = append(secrets, sessionSecrets(t, p.n, p.peer)...)
		p.n.e.cryptoMu.Lock()
		if spk, err := p.n.e.pk.SignedPrekey(alice.inspect(ids[0]).SignedPrekeyID); err == nil {
			secrets = append(secrets, hex.EncodeToString(spk.Bytes()))
		}
		p.n.e.cryptoMu.Unlock()
	}
	if len(secrets) < 2*6 {
		t.Fatalf("collected only %d secrets", len(secrets))
	}
	for _, n := range []*node{alice, bob} {
		for _, id := range ids {
			js, _ := json.Marshal(n.inspect(id))
			for _, s := range secrets {
				for i := 0; i+16 <= len(s); i += 8 {
					if strings.Contains(string(js), s[i:i+16]) {
						t.Fatalf("inspect output leaks a secret: %s", js)
					}
				}
			}
		}
	}
}

// sessionSecrets reads the stored session with peer (the e2e session
// state's CBOR map) and returns its secret fields as hex: 6 root key, 7
// ratchet private key, 8 sending chain key, 12 receiving chain key, and the
// 32-byte seeds of 17 (rows of 33 key || 4 n || 32 seed).
func sessionSecrets(t *testing.T, n *node, peer string) []string {
	t.Helper()
	var raw []byte
	_ = n.db.View(func(tx *store.Tx) error { raw = tx.Session(peer); return nil })
	var st map[uint64]any
	if err := cbor.Unmarshal(raw, &st); err != nil {
		t.Fatalf("session with %s: %v", peer, err)
	}
	var out []string
	for _, k := range []uint64{6, 7, 8, 12} {
		if b, ok := st[k].([]byte); ok && len(b) == 32 {
			out = append(out, hex.EncodeToString(b))
		}
	}
	row := 33 + 4 + 32
	for b, _ := st[17].([]byte); len(b) >= row; b = b[row:] {
		out = append(out, hex.EncodeToString(b[37:row]))
	}
	if len(out) < 3 {
		t.Fatalf("session with %s: only %d secrets found", peer, len(out))
	}
	return out
}
