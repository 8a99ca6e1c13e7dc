package engine

import (
	"bytes"
	"context"
	"strings"

	"github.com/securep2p/securep2p/daemon/api"
	"github.com/securep2p/securep2p/daemon/internal/e2e"
	"github.com/securep2p/securep2p/daemon/internal/store"
	"github.com/securep2p/securep2p/wire"
)

// Contacts lists every contact, sorted by username.
func (e *Engine) Contacts(ctx context.Context, _ api.ContactsParams) (api.ContactsResult, error) {
	res := api.ContactsResult{Contacts: []api.Contact{}}
	err := e.db.View(func(tx *store.Tx) error {
		cs, err := tx.Contacts()
		for i := range cs {
			res.Contacts = append(res.Contacts, apiContact(tx, &cs[i]))
		}
		return err
	})
	if err != nil {
		return res, apiErr(api.CodeInternal, "contacts: %v", err)
	}
	return res, nil
}

// Contact shows one contact.
func (e *Engine) Contact(ctx context.Context, p api.ContactParams) (api.ContactResult, error) {
	var res api.ContactResult
	err := e.withContact(p.User, func(tx *store.Tx, c *store.Contact) error {
		res.Contact = apiContact(tx, c)
		return nil
	}, false)
	return res, err
}

// withContact runs fn with the named contact in a view (or, with write, in
// an update); unknown names are not_found.
func (e *Engine) withContact(user string, fn func(*store.Tx, *store.Contact) error, write bool) error {
	name, ok := wire.NormalizeUsername(user)
	if !ok {
		return apiErr(api.CodeBadUsername, "invalid username")
	}
	run := func(tx *store.Tx) error {
		c, ok, err := tx.Contact(name)
		if err != nil {
			return apiErr(api.CodeInternal, "contact: %v", err)
		}
		if !ok {
			return apiErr(api.CodeNotFound, "no contact %s: send them a message first", name)
		}
		return fn(tx, &c)
	}
	if !write {
		return e.db.View(run)
	}
	return e.update(func(tx *store.Tx, _ emitFunc) error { return run(tx) })
}

// SafetyNumber returns the number to compare out of band.
func (e *Engine) SafetyNumber(ctx context.Context, p api.SafetyNumberParams) (api.SafetyNumberResult, error) {
	res, _, err := e.safetyNumber(p.User)
	return res, err
}

// safetyNumber computes the safety number with user and returns the
// identity key it was computed from.
func (e *Engine) safetyNumber(user string) (api.SafetyNumberResult, []byte, error) {
	var res api.SafetyNumberResult
	var key []byte
	self := e.account().Username
	if self == "" {
		return res, nil, apiErr(api.CodeNotLoggedIn, "not logged in: the safety number includes your username")
	}
	err := e.withContact(user, func(tx *store.Tx, c *store.Contact) error {
		theirs := mustKey(c.IdentityKey)
		key = c.IdentityKey
		res = api.SafetyNumberResult{User: c.Username,
			SafetyNumber:   e2e.SafetyNumber(self, e.id.Public(), c.Username, theirs),
			OwnFingerprint: e.Fingerprint(), TheirFingerprint: theirs.Fingerprint(),
			Trust: api.Trust(c.Trust), KeyChanged: c.KeyChanged}
		return nil
	}, false)
	return res, key, err
}

// verifyChecked, when set by tests, runs between Verify's safety-number
// check and its commit (where a key change may arrive).
var verifyChecked func()

// Verify marks a contact verified when the given safety number is the
// current one; it also accepts a pending key change and releases held
// messages. The number is computed outside the write transaction (it is
// deliberately slow); the commit re-checks that the contact's key (and our
// username) are still the ones it was computed from, so a key change
// committed in between is never marked verified.
func (e *Engine) Verify(ctx context.Context, p api.VerifyParams) (api.ContactResult, error) {
	self := e.account().Username
	sn, key, err := e.safetyNumber(p.User)
	if err != nil {
		return api.ContactResult{}, err
	}
	if digits(p.SafetyNumber) != digits(sn.SafetyNumber) {
		return api.ContactResult{}, apiErr(api.CodeSafetyNumberMismatch, "the safety number does not match the current one")
	}
	if verifyChecked != nil {
		verifyChecked()
	}
	var res api.ContactResult
	err = e.changeContact(p.User, func(tx *store.Tx, emit emitFunc, c *store.Contact) error {
		if !bytes.Equal(c.IdentityKey, key) || e.account().Username != self {
			return apiErr(api.CodeSafetyNumberMismatch, "the key changed while verifying: compare the new safety number")
		}
		c.Trust = store.Verified
		_, err := e.release(tx, emit, c)
		return err
	}, &res.Contact)
	return res, err
}

func digits(s string) string { return strings.Join(strings.Fields(s), "") }

// Trust accepts a contact's changed identity key: the contact becomes
// unverified and held messages are queued again (re-encrypted to the new
// key when transmitted).
func (e *Engine) Trust(ctx context.Context, p api.TrustParams) (api.TrustResult, error) {
	var res api.TrustResult
	err := e.changeContact(p.User, func(tx *store.Tx, emit emitFunc, c *store.Contact) error {
		if p.Fingerprint != "" && p.Fingerprint != fingerprint(c.IdentityKey) {
			return apiErr(api.CodeSafetyNumberMismatch, "the key is not the one with fingerprint %s", p.Fingerprint)
		}
		if c.KeyChanged {
			c.Trust = store.Unverified
		}
		n, err := e.release(tx, emit, c)
		res.Released = n
		return err
	}, &res.Contact)
	return res, err
}

// ContactSettings changes a contact's key-change policy or read receipts.
func (e *Engine) ContactSettings(ctx context.Context, p api.ContactSettingsParams) (api.ContactResult, error) {
	var res api.ContactResult
	if p.Policy != nil {
		if _, ok := policyFromAPI[*p.Policy]; !ok {
			return res, apiErr(api.CodeBadRequest, "policy must be default, hold or warn")
		}
	}
	err := e.changeContact(p.User, func(tx *store.Tx, emit emitFunc, c *store.Contact) error {
		if p.Policy != nil {
			c.Hold = policyFromAPI[*p.Policy]
		}
		if p.ReadReceipts != nil {
			c.ReadReceipts = *p.ReadReceipts
		}
		return nil
	}, &res.Contact)
	return res, err
}

// changeContact applies fn to a contact in one transaction, stores it,
// emits a contact event and returns the new view in out.
func (e *Engine) changeContact(user string, fn func(*store.Tx, emitFunc, *store.Contact) error, out *api.Contact) error {
	name, ok := wire.NormalizeUsername(user)
	if !ok {
		return apiErr(api.CodeBadUsername, "invalid username")
	}
	err := e.update(func(tx *store.Tx, emit emitFunc) error {
		c, ok, err := tx.Contact(name)
		if err != nil {
			return err
		}
		if !ok {
			return apiErr(api.CodeNotFound, "no contact %s: send them a message first", name)
		}
		if err := fn(tx, emit, &c); err != nil {
			return err
		}
		if err := tx.PutContact(c); err != nil {
			return err
		}
		*out = apiContact(tx, &c)
		return emit(api.Event{Type: api.EventContact, Contact: out})
	})
	e.wake()
	if _, isAPI := err.(*api.Error); err != nil && !isAPI {
		return apiErr(api.CodeInternal, "contact: %v", err)
	}
	return err
}

// release clears a pending key change and queues held messages again.
func (e *Engine) release(tx *store.Tx, emit emitFunc, c *store.Contact) (int, error) {
	if !c.KeyChanged {
		return 0, nil
	}
	c.KeyChanged = false
	if err := tx.PutContact(*c); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range tx.Outbox(1 << 20) {
		m, ok, err := tx.Message(id)
		if err != nil {
			return n, err
		}
		if !ok || m.Peer != c.Username || m.Status != store.Held {
			continue
		}
		if err := setStatus(tx, emit, &m, store.Queued, e.cfg.Now()); err != nil {
			return n, err
		}
		if err := tx.PutMessage(&m); err != nil {
			return n, err
		}
		if m.Kind == store.KindText {
			n++
		}
	}
	return n, nil
}
