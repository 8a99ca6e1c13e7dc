package e2e

import (
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/securep2p/securep2p/wire/secp"
)

// safetyIterations is how often each side's fingerprint hash is iterated
// (as Signal's numeric fingerprints: it makes grinding a colliding key
// expensive).
const safetyIterations = 5200

// SafetyNumber returns the 60-digit numeric fingerprint of two (username,
// identity key) pairs, as 12 groups of 5 digits. It does not depend on the
// argument order, so both sides see the same number; it changes when either
// name or key changes.
func SafetyNumber(nameA string, keyA secp.PublicKey, nameB string, keyB secp.PublicKey) string {
	a, b := safetyHalf(nameA, keyA), safetyHalf(nameB, keyB)
	if a > b {
		a, b = b, a
	}
	digits := a + b
	groups := make([]string, 0, len(digits)/5)
	for i := 0; i < len(digits); i += 5 {
		groups = append(groups, digits[i:i+5])
	}
	return strings.Join(groups, " ")
}

// safetyHalf is one side's 30 digits: h0 = SHA-512(label || 0x00 ||
// u8 version || key || u8 len || name), h(i+1) = SHA-512(h(i) || key),
// then six 5-byte big-endian chunks of h(5200), each mod 100000.
func safetyHalf(name string, key secp.PublicKey) string {
	k := key.Bytes()
	h := sha512.New()
	h.Write([]byte(labelSafety))
	h.Write([]byte{0, Version})
	h.Write(k)
	h.Write([]byte{byte(len(name))})
	h.Write([]byte(name))
	sum := h.Sum(nil)
	for range safetyIterations {
		h.Reset()
		h.Write(sum)
		h.Write(k)
		sum = h.Sum(sum[:0])
	}
	var sb strings.Builder
	for i := 0; i < 30; i += 5 {
		var chunk [8]byte
		copy(chunk[3:], sum[i:i+5])
		fmt.Fprintf(&sb, "%05d", binary.BigEndian.Uint64(chunk[:])%100000)
	}
	return sb.String()
}
