package engine

import (
	"errors"
	"strconv"

	"github.com/securep2p/securep2p/daemon/internal/e2e"
	"github.com/securep2p/securep2p/daemon/internal/store"
)

// # Session selection
//
// Each peer has one primary session, the only one we encrypt with (stored
// under the peer's name), and up to maxDecryptOnly decrypt-only sessions:
// responder sessions set up from prekey messages we answered without
// adopting them, kept so the peer's remaining prekey messages on the same
// base key still decrypt (stored under peer + "\x00" + slot; usernames
// never contain NUL). An incoming prekey message is handled as follows:
//
//  1. If the primary or a decrypt-only session was set up from its base key
//     (same peer identity), that session decrypts it (a replay then fails
//     as a duplicate).
//  2. Otherwise Respond builds a new responder session R, which decrypts
//     it, and R becomes the primary when
//     - there is no primary, or the message's identity key is not the
//     primary's or the contact's (a key change), or
//     - the primary is our own initiator session still awaiting a reply and
//     our username is lexicographically GREATER than the peer's (the
//     tie-break for crossed first messages: the session started by the
//     smaller name wins on both sides);
//     otherwise R is stored decrypt-only: a working session (the peer has
//     replied, or we responded to it) is never replaced by a prekey message,
//     so a replayed or unsolicited one cannot break a conversation.
//
// Ordinary (non-prekey) messages are decrypted with the primary only: a
// decrypt-only session answers a peer initiator session that never gets a
// reply, so the peer only ever sends prekey messages on it.
//
// Outgoing: a session is started (Initiate) only when there is no primary,
// or its peer identity differs from the fetched bundle's; a primary stored
// meanwhile (a prekey message arrived while the bundle was fetched) is used.
// Envelopes already made under a replaced initiator session are sent as
// they are: the peer decrypts them with its decrypt-only session. The
// relay's key_changed answer to a Send drops no session by itself: only a
// bundle with a different identity key does (keycheck.go), because a new
// session with the same identity would stay decrypt-only at the peer.
const maxDecryptOnly = 4

// unmarshalSession parses a stored session (a variable so tests can count
// how many sessions an operation loads).
var unmarshalSession = e2e.UnmarshalSession

// peerSessions is the stored session state of one peer.
type peerSessions struct {
	primary *e2e.Session
	extra   []*e2e.Session // decrypt-only, oldest first
}

func decryptOnlyKey(peer string, slot int) string { return peer + "\x00" + strconv.Itoa(slot) }

// loadDecryptOnly reads the decrypt-only sessions of peer; unreadable ones
// are skipped (logged).
func (e *Engine) loadDecryptOnly(tx *store.Tx, peer string) []*e2e.Session {
	var out []*e2e.Session
	for slot := range maxDecryptOnly {
		raw := tx.Session(decryptOnlyKey(peer, slot))
		if raw == nil {
			break
		}
		s, err := unmarshalSession(raw)
		if err != nil {
			e.cfg.Logger.Error("stored decrypt-only session unreadable; skipped", "peer", peer, "err", err)
			continue
		}
		out = append(out, s)
	}
	return out
}

// putDecryptOnly stores extra as peer's decrypt-only sessions, keeping the
// newest maxDecryptOnly.
func putDecryptOnly(tx *store.Tx, peer string, extra []*e2e.Session) error {
	if n := len(extra); n > maxDecryptOnly {
		extra = extra[n-maxDecryptOnly:]
	}
	for slot := range maxDecryptOnly {
		if slot >= len(extra) {
			if err := tx.DeleteSession(decryptOnlyKey(peer, slot)); err != nil {
				return err
			}
			continue
		}
		raw, err := extra[slot].MarshalBinary()
		if err != nil {
			return err
		}
		if err := tx.PutSession(decryptOnlyKey(peer, slot), raw); err != nil {
			return err
		}
	}
	return nil
}

// deleteSessions forgets every session with peer (a key change or reset).
func deleteSessions(tx *store.Tx, peer string) error {
	if err := tx.DeleteSession(peer); err != nil {
		return err
	}
	return putDecryptOnly(tx, peer, nil)
}

// selectPrekey decrypts a prekey message with the session it belongs to,
// or sets up a new one (see Session selection). changed reports that the
// message's identity key is not the contact's.
func (e *Engine) selectPrekey(o *opened, ps peerSessions, self string, body []byte, changed bool) ([]byte, error) {
	if ps.primary != nil {
		pt, err := ps.primary.Decrypt(body)
		if !errors.Is(err, e2e.ErrOtherSession) {
			o.sess = ps.primary
			return pt, err
		}
	}
	for i, s := range ps.extra {
		pt, err := s.Decrypt(body)
		if !errors.Is(err, e2e.ErrOtherSession) {
			o.sess, o.extra, o.slot = s, ps.extra, i
			return pt, err
		}
	}
	r, pt, otk, err := e2e.Respond(e.id, self, o.peer, body, e.pk)
	if err != nil {
		return nil, err
	}
	o.sess, o.oneTimeID = r, otk
	if adopt(ps.primary, r, changed, self, o.peer) {
		o.keyChange = changed
		return pt, nil
	}
	o.extra, o.slot = append(ps.extra, r), len(ps.extra)
	return pt, nil
}

// adopt decides whether a new responder session r replaces the primary.
func adopt(primary, r *e2e.Session, changed bool, self, peer string) bool {
	switch {
	case primary == nil || changed || !primary.PeerIdentity().Equal(r.PeerIdentity()):
		return true
	case primary.AwaitingReply():
		return self > peer // crossed first messages: the smaller name's session wins
	}
	return false // never replace a working session
}

// putSessions stores the session o decrypted with, where it belongs.
func putSessions(tx *store.Tx, o *opened) error {
	if o.slot < 0 {
		state, err := o.sess.MarshalBinary()
		if err != nil {
			return err
		}
		return tx.PutSession(o.peer, state)
	}
	return putDecryptOnly(tx, o.peer, o.extra)
}
