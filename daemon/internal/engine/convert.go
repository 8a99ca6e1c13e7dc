package engine

import (
	"encoding/json"
	"fmt"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/store"
	"github.com/securep2p/securep2p/wire/secp"
)

func decodeEvent(r store.Event) (api.Event, error) {
	var ev api.Event
	if err := json.Unmarshal(r.Data, &ev); err != nil {
		return ev, fmt.Errorf("engine: stored event %d: %w", r.Cursor, err)
	}
	ev.Cursor = r.Cursor
	return ev, nil
}

func apiMessage(m *store.Message) api.Message {
	out := api.Message{
		ID: m.ID.String(), Seq: m.Seq, Direction: api.Direction(m.Dir), Peer: m.Peer,
		Text: m.Text, Status: api.Status(m.Status), Time: m.Created.UTC(), Updated: m.Updated.UTC(),
		Warning: api.Code(m.Warning),
	}
	if m.Status == store.Failed {
		out.Failure = &api.Error{Code: api.Code(m.FailCode), Message: m.Reason}
	}
	return out
}

func fingerprint(raw []byte) string {
	k, err := secp.ParsePublicKey(raw)
	if err != nil {
		return ""
	}
	return k.Fingerprint()
}

var policyToAPI = map[store.HoldPolicy]api.KeyChangePolicy{
	store.HoldDefault: api.PolicyDefault, store.HoldAlways: api.PolicyHold, store.HoldNever: api.PolicyWarn,
}

var policyFromAPI = map[api.KeyChangePolicy]store.HoldPolicy{
	api.PolicyDefault: store.HoldDefault, api.PolicyHold: store.HoldAlways, api.PolicyWarn: store.HoldNever,
}

// apiContact converts c; the counters come from the store.
func apiContact(tx *store.Tx, c *store.Contact) api.Contact {
	out := api.Contact{
		Username: c.Username, Fingerprint: fingerprint(c.IdentityKey), Trust: api.Trust(c.Trust),
		KeyChanged: c.KeyChanged, Policy: policyToAPI[c.Hold], ReadReceipts: c.ReadReceipts,
	}
	if out.Trust == "" {
		out.Trust = api.TrustUnverified
	}
	for _, id := range tx.Outbox(1 << 20) {
		if m, ok, _ := tx.Message(id); ok && m.Peer == c.Username && m.Status == store.Held {
			out.Held++
		}
	}
	last, _ := tx.LastHistory(c.Username, 200)
	for i := range last {
		out.LastMessage = last[i].Created.UTC()
		if last[i].Dir == store.In && last[i].Status == store.Delivered {
			out.Unread++
		}
	}
	return out
}

func apiKeyChange(c *store.Contact, held int) *api.KeyChange {
	kc := &api.KeyChange{User: c.Username, NewFingerprint: fingerprint(c.IdentityKey),
		WasVerified: c.Trust == store.Verified, Held: held}
	if n := len(c.KeyHistory); n > 0 {
		last := c.KeyHistory[n-1]
		kc.OldFingerprint, kc.Time = fingerprint(last.Old), last.At.UTC()
	}
	return kc
}
