package quicfloor

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
)

// The sealed variant puts each message body through AES-256-GCM once per
// hop, as the hop layer does: a sealed body is an 8-byte counter and the
// ciphertext with its 16-byte tag; the message's length header is the
// additional data. The nonce is direction (1 byte), connection slot
// (3 bytes) and counter (8 bytes), unique for every message of a run.
const (
	ctrSize    = 8
	sealedOver = ctrSize + 16 // counter + GCM tag
	maxSlot    = 1<<24 - 1
)

// Directions of a hop: client to forwarder and forwarder to client.
const (
	toForwarder byte = 0
	toClient    byte = 1
)

// testKey is a fixed AES-256 key: the measurement needs the cost of the
// AEAD, not its secrecy.
var testKey = [32]byte{0x51, 0x0f, 0x1c, 0x9a, 0x2e, 0x73, 0xb4, 0x08, 0x66, 0xd1, 0x3c, 0x47,
	0x8b, 0x20, 0xf5, 0x99, 0x04, 0xae, 0x5d, 0x12, 0xc8, 0x6e, 0x37, 0x81, 0xfa, 0x29, 0x90,
	0x4b, 0xd6, 0x15, 0x7c, 0xe3}

var errOpen = errors.New("quicfloor: sealed message rejected")

// hopAEAD is one direction of one connection: a sealer or an opener.
type hopAEAD struct {
	aead  cipher.AEAD
	nonce [12]byte
	ctr   uint64 // next counter to seal or to accept
}

func newHopAEAD(dir byte, slot uint32) *hopAEAD {
	block, err := aes.NewCipher(testKey[:])
	if err != nil {
		panic("quicfloor: aes.NewCipher: " + err.Error()) // 32-byte key: cannot happen
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic("quicfloor: cipher.NewGCM: " + err.Error())
	}
	h := &hopAEAD{aead: aead}
	h.nonce[0] = dir
	h.nonce[1], h.nonce[2], h.nonce[3] = byte(slot>>16), byte(slot>>8), byte(slot)
	return h
}

// seal appends plain as one sealed, length-prefixed message.
func (h *hopAEAD) seal(dst, plain []byte) []byte {
	n := len(plain) + sealedOver
	start := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, uint32(n))
	dst = binary.BigEndian.AppendUint64(dst, h.ctr)
	binary.BigEndian.PutUint64(h.nonce[4:], h.ctr)
	h.ctr++
	hdr := dst[start : start+headerSize]
	return h.aead.Seal(dst, h.nonce[:], plain, hdr)
}

// open authenticates a sealed body (as readMsg returned it) and appends
// its plaintext to dst. Its counter must be the next one expected.
func (h *hopAEAD) open(dst, body []byte) ([]byte, error) {
	if len(body) < sealedOver {
		return nil, errOpen
	}
	if binary.BigEndian.Uint64(body) != h.ctr {
		return nil, errOpen
	}
	var hdr [headerSize]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(len(body)))
	binary.BigEndian.PutUint64(h.nonce[4:], h.ctr)
	out, err := h.aead.Open(dst, h.nonce[:], body[ctrSize:], hdr[:])
	if err != nil {
		return nil, errOpen
	}
	h.ctr++
	return out, nil
}
