package hop

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/securep2p/securep2p/wire"
)

// notComparable makes a struct incomparable with ==.
type notComparable [0]func()

// sealer seals the frames of one direction. It holds an AES-256-GCM key and
// the next counter; it cannot be printed or compared.
type sealer struct {
	_     notComparable
	aead  cipher.AEAD
	next  uint64
	nonce [12]byte
}

// opener opens the frames of one direction. After a failure it stays failed.
type opener struct {
	_     notComparable
	aead  cipher.AEAD
	next  uint64
	nonce [12]byte
	err   error
}

// String, GoString and Format keep every fmt verb from printing key state.
func (sealer) String() string             { return "hop.sealer(redacted)" }
func (sealer) GoString() string           { return "hop.sealer(redacted)" }
func (sealer) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("hop.sealer(redacted)")) }
func (opener) String() string             { return "hop.opener(redacted)" }
func (opener) GoString() string           { return "hop.opener(redacted)" }
func (opener) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("hop.opener(redacted)")) }

// newAEAD builds AES-256-GCM from key and zeroes key.
func newAEAD(key []byte) (cipher.AEAD, error) {
	defer clear(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("hop: aes: %w", err)
	}
	return cipher.NewGCM(block)
}

// deriveKey is HKDF-SHA-256(secret=shared, salt=transcript hash, info, 32).
func deriveKey(shared []byte, th [32]byte, info string) ([]byte, error) {
	return hkdf.Key(sha256.New, shared, th[:], info, keySize)
}

// newDirection derives the key of one direction and returns its AEAD.
func newDirection(shared []byte, th [32]byte, info string) (cipher.AEAD, error) {
	key, err := deriveKey(shared, th, info)
	if err != nil {
		return nil, fmt.Errorf("hop: hkdf: %w", err)
	}
	return newAEAD(key)
}

// setNonce writes the nonce of counter n: 4 zero bytes || n (big endian).
func setNonce(nonce *[12]byte, n uint64) { binary.BigEndian.PutUint64(nonce[4:], n) }

// seal appends one sealed packet carrying plaintext to dst:
// length (4, BE) || counter (8, BE) || AES-256-GCM(plaintext) || tag (16).
// The first 12 bytes are the associated data. dst may be reused between
// calls; seal does not allocate when dst has room.
func (s *sealer) seal(dst, plaintext []byte) ([]byte, error) {
	if s.next >= MaxFrames {
		return dst, ErrCounterExhausted
	}
	body := counterSize + len(plaintext) + tagSize
	if body > MaxSealedBody {
		return dst, fmt.Errorf("hop: seal: %d-byte frame exceeds the maximum", len(plaintext))
	}
	start := len(dst)
	dst = grow(dst, wire.PacketHeaderSize+body)
	dst = binary.BigEndian.AppendUint32(dst, uint32(body))
	dst = binary.BigEndian.AppendUint64(dst, s.next)
	setNonce(&s.nonce, s.next)
	dst = s.aead.Seal(dst, s.nonce[:], plaintext, dst[start:start+headerSize])
	s.next++
	return dst, nil
}

// grow makes room for n more bytes without changing len(b).
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), len(b)+n)
	copy(nb, b)
	return nb
}

// open authenticates and decrypts one complete sealed packet (length prefix
// included) in place and returns the plaintext, which aliases packet. Any
// failure is permanent: every later call returns the same error.
func (o *opener) open(packet []byte) ([]byte, error) {
	if o.err != nil {
		return nil, o.err
	}
	pt, err := o.openPacket(packet)
	if err != nil {
		o.err = err
		return nil, err
	}
	o.next++
	return pt, nil
}

func (o *opener) openPacket(packet []byte) ([]byte, error) {
	if len(packet) < headerSize+tagSize {
		return nil, fmt.Errorf("%w: %d-byte packet is shorter than its header and tag", ErrAuth, len(packet))
	}
	if int(binary.BigEndian.Uint32(packet)) != len(packet)-wire.PacketHeaderSize {
		return nil, fmt.Errorf("%w: length prefix does not match the packet", ErrAuth)
	}
	if o.next >= MaxFrames {
		return nil, ErrCounterExhausted
	}
	if n := binary.BigEndian.Uint64(packet[4:headerSize]); n != o.next {
		return nil, fmt.Errorf("%w: counter %d, expected %d", ErrSequence, n, o.next)
	}
	setNonce(&o.nonce, o.next)
	ct := packet[headerSize:]
	pt, err := o.aead.Open(ct[:0], o.nonce[:], ct, packet[:headerSize])
	if err != nil {
		return nil, fmt.Errorf("%w: frame %d", ErrAuth, o.next)
	}
	return pt, nil
}
