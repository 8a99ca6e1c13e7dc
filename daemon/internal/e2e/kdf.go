package e2e

import (
	"crypto/hkdf"
	"crypto/sha256"
	"hash"
	"sync"
)

// Domain-separation labels. Every KDF and signature in this package has its
// own label; they are part of the protocol (wire/PROTOCOL.md, section 3).
const (
	labelSignedPrekey = "securep2p/v1/e2e/signed-prekey" // secp signature label
	labelX3DH         = "securep2p/v1/e2e/x3dh"          // HKDF info of the setup
	labelRoot         = "securep2p/v1/e2e/root"          // HKDF info of the root KDF
	labelMessageKeys  = "securep2p/v1/e2e/message-keys"  // HKDF info of message-key expansion
	labelSafety       = "securep2p/v1/e2e/safety-number" // safety-number hash prefix
)

// Chain-KDF constants: the HMAC inputs that derive a message-key seed and the
// next chain key (Signal's Double Ratchet, section 5.2).
const (
	chainSeedByte = 0x01
	chainNextByte = 0x02
)

// constByte[i] is the one-byte slice {i}, preallocated so that the hot path
// does not allocate when passing it to a hash.
var constByte = [4][]byte{{0}, {1}, {2}, {3}}

// messageKeysInfo is labelMessageKeys as bytes, preallocated.
var messageKeysInfo = []byte(labelMessageKeys)

// Sizes of derived keys.
const (
	keySize     = 32 // root, chain, message-key seed, AES-256 key, HMAC key
	ivSize      = 16 // AES-CTR initial counter block
	macSize     = 32 // HMAC-SHA-256 tag, never truncated
	expandedLen = keySize + keySize + ivSize
)

// macer is an allocation-free HMAC-SHA-256 whose hash states are reused
// across keys. crypto/hmac and crypto/hkdf allocate per key; the per-message
// path (chain step, message-key expansion, message MAC) uses this instead.
// Every buffer handed to the hash states (an interface, so a stack array
// would escape and allocate) lives here; the secret ones are wiped after
// each use.
type macer struct {
	in, out hash.Hash
	sum     [sha256.Size]byte
	tagBuf  [macSize]byte
	hdr     [maxHeader]byte        // scratch for appendHeader
	pad     [sha256.BlockSize]byte // HMAC key pad (secret, wiped)
	okm     [3 * keySize]byte      // chainStep and expand output (secret, wiped)
	prk     [keySize]byte          // expand's PRK (secret, wiped)
	zero    [keySize]byte          // HKDF's all-zero salt (never written)
}

// maxHeader is the largest binary header (see appendHeader).
const maxHeader = 1 + 33 + 4 + 4 + 1 + 33 + 33 + 4 + 4

var macerPool = sync.Pool{New: func() any {
	return &macer{in: sha256.New(), out: sha256.New()}
}}

func getMacer() *macer  { return macerPool.Get().(*macer) }
func putMacer(m *macer) { m.in.Reset(); m.out.Reset(); macerPool.Put(m) }

// reset starts a new HMAC under key (RFC 2104: keys longer than the block
// are hashed first).
func (m *macer) reset(key []byte) {
	pad := &m.pad
	clear(pad[:])
	if len(key) > sha256.BlockSize {
		h := sha256.Sum256(key)
		copy(pad[:], h[:])
		clear(h[:])
	} else {
		copy(pad[:], key)
	}
	for i := range pad {
		pad[i] ^= 0x36
	}
	m.in.Reset()
	m.in.Write(pad[:])
	for i := range pad {
		pad[i] ^= 0x36 ^ 0x5c
	}
	m.out.Reset()
	m.out.Write(pad[:])
	clear(pad[:])
}

func (m *macer) write(p []byte) { m.in.Write(p) }

// finish appends the tag to dst.
func (m *macer) finish(dst []byte) []byte {
	inner := m.in.Sum(m.sum[:0])
	m.out.Write(inner)
	return m.out.Sum(dst)
}

// hmacSHA256 computes one tag with a pooled macer (used by tests and setup).
func hmacSHA256(key, msg []byte) []byte {
	m := getMacer()
	defer putMacer(m)
	m.reset(key)
	m.write(msg)
	return m.finish(nil)
}

// chainStep is KDF_CK: seed = HMAC(ck, 0x01), next = HMAC(ck, 0x02).
func (m *macer) chainStep(ck *[keySize]byte) (seed, next [keySize]byte) {
	m.reset(ck[:])
	m.write(constByte[chainSeedByte])
	m.finish(m.okm[:0])
	m.reset(ck[:])
	m.write(constByte[chainNextByte])
	m.finish(m.okm[keySize:keySize])
	copy(seed[:], m.okm[:keySize])
	copy(next[:], m.okm[keySize:2*keySize])
	clear(m.okm[:])
	return seed, next
}

// messageKeys are what one message is protected with. They live only on the
// stack of Encrypt/Decrypt and are wiped afterwards.
type messageKeys struct {
	aes [keySize]byte
	mac [keySize]byte
	iv  [ivSize]byte
}

func (k *messageKeys) wipe() { *k = messageKeys{} }

// expand is HKDF-SHA-256(salt = 32 zero bytes, ikm = seed, info, L = 80)
// split into AES key | HMAC key | IV, computed with one reused macer.
func (m *macer) expand(seed *[keySize]byte, info []byte) messageKeys {
	prk, okm := m.prk[:], m.okm[:]
	m.reset(m.zero[:]) // HKDF-Extract
	m.write(seed[:])
	m.finish(prk[:0])
	for i := byte(1); i <= 3; i++ { // HKDF-Expand, T(1)..T(3): T(i) = okm[(i-1)*32:i*32]
		m.reset(prk)
		if i > 1 {
			m.write(okm[(i-2)*keySize : (i-1)*keySize])
		}
		m.write(info)
		m.write(constByte[i])
		m.finish(okm[(i-1)*keySize : (i-1)*keySize])
	}
	var k messageKeys
	copy(k.aes[:], okm[0:32])
	copy(k.mac[:], okm[32:64])
	copy(k.iv[:], okm[64:80])
	clear(okm)
	clear(prk)
	return k
}

// rootStep is KDF_RK: HKDF-SHA-256(salt = rk, ikm = dh, info = labelRoot,
// L = 64) split into the new root key and a chain key.
func rootStep(rk *[keySize]byte, dh []byte) (root, chain [keySize]byte, err error) {
	out, err := hkdf.Key(sha256.New, dh, rk[:], labelRoot, 2*keySize)
	if err != nil {
		return root, chain, err
	}
	copy(root[:], out[:keySize])
	copy(chain[:], out[keySize:])
	clear(out)
	return root, chain, nil
}
