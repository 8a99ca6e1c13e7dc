package e2e

import (
	"fmt"

	"github.com/securep2p/securep2p/wire/secp"
)

// decryptNewRatchet handles a message under a peer ratchet key not seen
// before: it skips the rest of the current receiving chain (up to PN, or
// abandons it when that is more than MaxSkip keys: abandonsChain), does
// the receiving half of the DH ratchet, and verifies the message. The
// sending half is left pending for Encrypt (pacing.go), except on the
// responder's first message, where there is no sending chain yet: then it
// is done here, so the first reply is always under a fresh key and the
// signed-prekey copy is wiped at once. Nothing is committed unless the MAC
// verified.
func (s *Session) decryptNewRatchet(p *parsed, ratchet secp.PublicKey) ([]byte, error) {
	e := &p.env
	if ratchet == s.st.sendPriv.Public() || (!s.st.hasRecv && ratchet == s.st.recvPub) {
		return nil, ErrAuth // a ratchet key the peer never sends
	}
	if e.N > MaxSkip {
		return nil, ErrTooFarAhead
	}
	m := getMacer()
	defer putMacer(m)
	var pending []skipEntry
	if s.st.hasRecv && !abandonsChain(s.st.recvN, e.PN) {
		ck := s.st.recvCK
		pending = skipChain(m, &ck, s.st.recvPub, s.st.recvN, e.PN)
	}
	root, recvCK, err := dhStep(&s.st.root, s.st.sendPriv, ratchet)
	if err != nil {
		wipeEntries(pending)
		return nil, err
	}
	pending = append(pending, skipChain(m, &recvCK, ratchet, 0, e.N)...)
	seed, nextRecv := m.chainStep(&recvCK)
	pt, err := s.open(m, &seed, p)
	if err != nil {
		wipeEntries(pending)
		return nil, err
	}
	next := s.receiveHalf(root, ratchet, nextRecv, e.N+1)
	if s.st.recvPub.IsZero() { // the responder's first message: no sending chain yet
		if next, err = sendTurn(next); err != nil {
			wipeEntries(pending)
			return nil, err
		}
	}
	s.commitTurn(next, pending)
	return pt, nil
}

// abandonsChain reports whether a DH-ratchet step whose message says the
// previous chain had pn messages abandons our receiving chain (next
// expected number recvN) instead of storing its skipped keys: when more
// than MaxSkip of them are missing. Those messages were lost (a dropped
// envelope, an expired mailbox), and deriving keys for them costs one chain
// step each, up to 2^32 for a pn the peer chose; refusing the step instead
// would wedge the session for good. Keys already stored for the old chain
// stay; its other messages report ErrDuplicate (retired key). Decided from
// the header, committed only after the message's MAC verified.
func abandonsChain(recvN, pn uint32) bool {
	return pn > recvN && pn-recvN > MaxSkip
}

// receiveHalf builds the state after receiving on peerRatchet: the new
// receiving chain, the advanced root key, and a pending sending-side turn.
// Our ratchet key and sending chain are unchanged: the peer's receiving
// chain for them stays valid until we turn.
func (s *Session) receiveHalf(root [keySize]byte, peerRatchet secp.PublicKey, recvCK [keySize]byte, recvN uint32) ratchetState {
	st := s.st
	st.root = root
	st.recvPub, st.hasRecv, st.recvCK, st.recvN = peerRatchet, true, recvCK, recvN
	st.prekey = nil // the peer has replied
	st.turnPending = true
	return st
}

// dhStep is one root-chain step: KDF_RK(root, ECDH(priv, pub)).
func dhStep(root *[keySize]byte, priv *secp.PrivateKey, pub secp.PublicKey) (newRoot, chain [keySize]byte, err error) {
	dh, err := priv.ECDH(pub)
	if err != nil {
		return newRoot, chain, fmt.Errorf("%w: ratchet key agreement", ErrAuth)
	}
	defer clear(dh)
	newRoot, chain, err = rootStep(root, dh)
	if err != nil {
		return newRoot, chain, fmt.Errorf("e2e: root kdf: %w", err)
	}
	return newRoot, chain, nil
}

func (s *Session) commitTurn(next ratchetState, pending []skipEntry) {
	if s.st.hasRecv {
		s.retired = append(s.retired, s.st.recvPub.Array())
		if len(s.retired) > MaxRetired {
			s.retired = s.retired[1:]
		}
	}
	s.skipped.add(pending)
	s.replaceState(next)
}

// replaceState commits next, wiping our previous ratchet key if next has a
// new one.
func (s *Session) replaceState(next ratchetState) {
	if next.sendPriv != s.st.sendPriv {
		s.st.sendPriv.Wipe()
	}
	s.st = next
}
