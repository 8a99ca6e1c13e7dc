package e2e

import (
	"fmt"
	"time"
)

// Pacing of sending-side DH-ratchet turns (wire/PROTOCOL.md, section 3.4).
//
// Receiving a message under a new peer ratchet key always does the
// receiving half of the DH step at once. The sending half (a fresh ratchet
// key of ours) is then pending, and Encrypt performs it only when
// MinTurnInterval has passed since our last sending-side turn or
// MaxChainMessages messages were sent on the current sending chain;
// otherwise it keeps sending on the current chain, which the peer can still
// decrypt. The responder's first reply is always under a fresh key (that
// turn is done when the first prekey message is received).
const (
	MinTurnInterval  = time.Second // least time between two sending-side turns of a session
	MaxChainMessages = 100         // messages on one sending chain after which a pending turn is done
)

// clock is the time source of the pacing rule; tests replace it.
var clock = time.Now

// pacing holds a session's pacing parameters: the package constants in
// production, changed only by tests and benchmarks (minTurn = 0 turns on
// every message after a new peer key, like the unpaced double ratchet).
type pacing struct {
	minTurn  time.Duration
	maxChain uint32
}

var defaultPacing = pacing{minTurn: MinTurnInterval, maxChain: MaxChainMessages}

// nowMillis is the current time in Unix milliseconds (never negative).
func nowMillis() int64 { return max(clock().UnixMilli(), 0) }

// turnDue reports whether Encrypt must do the pending sending-side turn
// before sealing the next message. A clock that went backwards counts as
// the interval having passed (a turn too many is harmless).
func (s *Session) turnDue() bool {
	if !s.st.turnPending {
		return false
	}
	if s.st.sendN >= s.pace.maxChain {
		return true
	}
	elapsed := time.Duration(nowMillis()-s.st.lastTurn) * time.Millisecond
	return elapsed >= s.pace.minTurn || elapsed < 0
}

// sendTurn is the sending half of a DH-ratchet step on st (whose recvPub
// is the peer's current ratchet key): a fresh ratchet key of ours and
// `RK, CKs = KDF_RK(RK, ECDH(new key, peer key))`; PN becomes the old
// chain's length. It returns the new state without touching s; the caller
// wipes the old ratchet key when it commits.
func sendTurn(st ratchetState) (ratchetState, error) {
	priv, err := newPrivateKey()
	if err != nil {
		return ratchetState{}, fmt.Errorf("e2e: ratchet key: %w", err)
	}
	root, sendCK, err := dhStep(&st.root, priv, st.recvPub)
	if err != nil {
		priv.Wipe()
		return ratchetState{}, err
	}
	st.root, st.sendPriv, st.sendCK = root, priv, sendCK
	st.pn, st.sendN = st.sendN, 0
	st.turnPending, st.lastTurn = false, nowMillis()
	return st, nil
}
