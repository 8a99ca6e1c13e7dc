package e2e

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"fmt"
	"math"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

// Session is one end of a double-ratchet conversation with one peer. It is
// not safe for concurrent use. Encrypt and a successful Decrypt change its
// state: persist it (MarshalBinary) before acting on the result.
type Session struct {
	selfName, peerName string
	selfKey, peerKey   secp.PublicKey
	st                 ratchetState
	skipped            *skippedStore
	retired            [][secp.PublicKeySize]byte // previous peer ratchet keys, oldest first
	adSend, adRecv     []byte
	pace               pacing // defaultPacing except in tests
}

// ratchetState is the part of a Session a decryption replaces as a whole
// (copy, then commit on success).
type ratchetState struct {
	root     [keySize]byte
	sendPriv *secp.PrivateKey // our current ratchet key
	sendCK   [keySize]byte
	sendN    uint32 // next message number in the sending chain
	pn       uint32 // length of our previous sending chain
	recvPub  secp.PublicKey
	hasRecv  bool // a receiving chain exists (the peer has sent on recvPub)
	recvCK   [keySize]byte
	recvN    uint32         // next expected message number in the receiving chain
	prekey   *prekeyPart    // initiator: sent with every message until the peer replies
	baseKey  secp.PublicKey // responder: base key of the prekey messages that set it up
	// turnPending: the peer sent under a new ratchet key (recvPub) and we
	// have not yet done the sending half of that DH step (pacing.go).
	turnPending bool
	lastTurn    int64 // Unix ms of our last sending-side turn (new ratchet key)
}

// observeMessageKeys, when set by tests, sees every (AES key, IV) pair
// Encrypt uses. It is nil in production.
var observeMessageKeys func(aesKey, iv []byte)

func newSession(selfName, peerName string, selfKey, peerKey secp.PublicKey) *Session {
	return &Session{
		selfName: selfName, peerName: peerName, selfKey: selfKey, peerKey: peerKey,
		skipped: newSkippedStore(), pace: defaultPacing,
		adSend: associatedData(selfKey, peerKey, selfName, peerName),
		adRecv: associatedData(peerKey, selfKey, peerName, selfName),
	}
}

// PeerIdentity returns the peer's identity key, bound into every message.
func (s *Session) PeerIdentity() secp.PublicKey { return s.peerKey }

// PeerName returns the peer's username.
func (s *Session) PeerName() string { return s.peerName }

// SelfName returns this side's username.
func (s *Session) SelfName() string { return s.selfName }

// SelfIdentity returns this side's identity public key.
func (s *Session) SelfIdentity() secp.PublicKey { return s.selfKey }

// AwaitingReply reports whether Encrypt still produces prekey messages
// (this side initiated and has not yet received a reply).
func (s *Session) AwaitingReply() bool { return s.st.prekey != nil }

// SkippedKeys reports how many skipped message keys are held.
func (s *Session) SkippedKeys() int { return s.skipped.len() }

// Encrypt seals plaintext (use EncodeContent) as the next message and
// returns the envelope. Until the peer has replied, envelopes are prekey
// messages, each able to set up the session on its own. A pending
// sending-side DH-ratchet turn is done first when it is due (pacing.go). On
// error the session is unchanged.
func (s *Session) Encrypt(plaintext []byte) ([]byte, error) {
	if len(plaintext) > MaxPlaintext {
		return nil, fmt.Errorf("%w: plaintext of %d bytes", ErrTooLarge, len(plaintext))
	}
	st := s.st
	if s.turnDue() {
		var err error
		if st, err = sendTurn(st); err != nil {
			return nil, err
		}
	}
	out, err := s.seal(&st, plaintext)
	if err != nil {
		if st.sendPriv != s.st.sendPriv {
			st.sendPriv.Wipe()
		}
		return nil, err
	}
	s.replaceState(st)
	return out, nil
}

// seal encrypts plaintext as the next message of st's sending chain and
// advances the chain in st.
func (s *Session) seal(st *ratchetState, plaintext []byte) ([]byte, error) {
	if st.sendN == math.MaxUint32 {
		return nil, fmt.Errorf("%w: sending chain exhausted", ErrTooLarge)
	}
	m := getMacer()
	defer putMacer(m)
	seed, next := m.chainStep(&st.sendCK)
	mk := m.expand(&seed, messageKeysInfo)
	clear(seed[:])
	defer mk.wipe()
	if observeMessageKeys != nil {
		observeMessageKeys(mk.aes[:], mk.iv[:])
	}
	e := envelope{Version: Version, Prekey: st.prekey, Ratchet: st.sendPriv.Public().Bytes(),
		N: st.sendN, PN: st.pn, Ciphertext: make([]byte, len(plaintext))}
	ctrXOR(&mk, e.Ciphertext, plaintext)
	e.MAC = m.tag(&mk, s.adSend, &e, nil)
	out, err := wire.Encode(&e)
	if err != nil {
		return nil, fmt.Errorf("e2e: encode envelope: %w", err)
	}
	if len(out) > MaxEnvelope {
		return nil, fmt.Errorf("%w: envelope of %d bytes", ErrTooLarge, len(out))
	}
	st.sendCK, st.sendN = next, st.sendN+1
	return out, nil
}

func ctrXOR(mk *messageKeys, dst, src []byte) {
	block, err := aes.NewCipher(mk.aes[:])
	if err != nil {
		panic("e2e: aes key size") // unreachable: the key is always 32 bytes
	}
	cipher.NewCTR(block, mk.iv[:]).XORKeyStream(dst, src)
}

// tag computes HMAC-SHA-256(mac key, ad || header || ciphertext) and
// appends it to dst.
func (m *macer) tag(mk *messageKeys, ad []byte, e *envelope, dst []byte) []byte {
	m.reset(mk.mac[:])
	m.write(ad)
	m.write(appendHeader(m.hdr[:0], e))
	m.write(e.Ciphertext)
	return m.finish(dst)
}

// open verifies the MAC in constant time and only then decrypts.
func (s *Session) open(m *macer, seed *[keySize]byte, p *parsed) ([]byte, error) {
	mk := m.expand(seed, messageKeysInfo)
	defer mk.wipe()
	want := m.tag(&mk, s.adRecv, &p.env, m.tagBuf[:0])
	if subtle.ConstantTimeCompare(want, p.env.MAC) != 1 {
		return nil, ErrAuth
	}
	pt := make([]byte, len(p.env.Ciphertext))
	ctrXOR(&mk, pt, p.env.Ciphertext)
	return pt, nil
}

// Decrypt authenticates and decrypts an envelope from the peer. On any error
// the session is unchanged.
func (s *Session) Decrypt(envelope []byte) ([]byte, error) {
	p, err := parseEnvelope(envelope)
	if err != nil {
		return nil, err
	}
	return s.decrypt(p)
}

func (s *Session) decrypt(p *parsed) ([]byte, error) {
	if p.env.Prekey != nil && !s.fromOurSetup(p) {
		return nil, ErrOtherSession
	}
	key := skipKey{pub: p.ratchetRaw, n: p.env.N}
	if seed, ok := s.skipped.get(key); ok {
		m := getMacer()
		defer putMacer(m)
		pt, err := s.open(m, &seed, p)
		if err == nil {
			s.skipped.remove(key)
		}
		return pt, err
	}
	if s.st.hasRecv && p.ratchetRaw == s.st.recvPub.Array() {
		return s.decryptCurrent(p) // a key we hold: no need to parse it again
	}
	if s.isRetired(p.ratchetRaw) {
		return nil, ErrDuplicate // checked on the raw bytes: no point decompression
	}
	ratchet, err := p.ratchet()
	if err != nil {
		return nil, err
	}
	return s.decryptNewRatchet(p, ratchet)
}

// fromOurSetup reports whether a prekey message belongs to this session:
// this side responded to exactly that base key from the same peer identity.
func (s *Session) fromOurSetup(p *parsed) bool {
	return !s.st.baseKey.IsZero() && p.baseKey == s.st.baseKey && p.identity == s.peerKey
}

func (s *Session) isRetired(k [secp.PublicKeySize]byte) bool {
	for _, r := range s.retired {
		if r == k {
			return true
		}
	}
	return false
}

// decryptCurrent handles a message in the current receiving chain.
func (s *Session) decryptCurrent(p *parsed) ([]byte, error) {
	n := p.env.N
	if n < s.st.recvN {
		return nil, ErrDuplicate // decrypted already, or its skipped key was evicted
	}
	if n-s.st.recvN > MaxSkip {
		return nil, ErrTooFarAhead
	}
	m := getMacer()
	defer putMacer(m)
	ck := s.st.recvCK
	pending := skipChain(m, &ck, s.st.recvPub, s.st.recvN, n)
	seed, next := m.chainStep(&ck)
	pt, err := s.open(m, &seed, p)
	if err != nil {
		wipeEntries(pending)
		return nil, err
	}
	s.skipped.add(pending)
	s.st.recvCK, s.st.recvN = next, n+1
	return pt, nil
}
