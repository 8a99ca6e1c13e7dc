package e2e

import (
	"fmt"

	"github.com/securep2p/securep2p/wire/secp"
)

// decryptNewRatchet handles a message under a peer ratchet key not seen
// before: it skips the rest of the current receiving chain (up to PN), runs
// the DH ratchet, and verifies the message. Only after the MAC verified does
// it generate our next ratchet key and commit the whole new state.
func (s *Session) decryptNewRatchet(p *parsed, ratchet secp.PublicKey) ([]byte, error) {
	e := &p.env
	if ratchet == s.st.sendPriv.Public() || (!s.st.hasRecv && ratchet == s.st.recvPub) {
		return nil, ErrAuth // a ratchet key the peer never sends
	}
	if e.N > MaxSkip || (s.st.hasRecv && e.PN > s.st.recvN && e.PN-s.st.recvN > MaxSkip) {
		return nil, ErrTooFarAhead
	}
	m := getMacer()
	defer putMacer(m)
	var pending []skipEntry
	if s.st.hasRecv {
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
	next, err := s.turn(root, ratchet, nextRecv, e.N+1)
	if err != nil {
		wipeEntries(pending)
		return nil, err
	}
	s.commitTurn(next, pending)
	return pt, nil
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

// turn builds the state after receiving on peerRatchet: a fresh ratchet key
// of ours and the sending chain from it.
func (s *Session) turn(root [keySize]byte, peerRatchet secp.PublicKey, recvCK [keySize]byte, recvN uint32) (ratchetState, error) {
	priv, err := newPrivateKey()
	if err != nil {
		return ratchetState{}, fmt.Errorf("e2e: ratchet key: %w", err)
	}
	root2, sendCK, err := dhStep(&root, priv, peerRatchet)
	if err != nil {
		priv.Wipe()
		return ratchetState{}, err
	}
	return ratchetState{
		root: root2, sendPriv: priv, sendCK: sendCK, sendN: 0, pn: s.st.sendN,
		recvPub: peerRatchet, hasRecv: true, recvCK: recvCK, recvN: recvN,
		baseKey: s.st.baseKey, // prekey cleared: the peer has replied
	}, nil
}

func (s *Session) commitTurn(next ratchetState, pending []skipEntry) {
	if s.st.hasRecv {
		s.retired = append(s.retired, s.st.recvPub)
		if len(s.retired) > MaxRetired {
			s.retired = s.retired[1:]
		}
	}
	s.skipped.add(pending)
	s.st.sendPriv.Wipe()
	s.st = next
}
