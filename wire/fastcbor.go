package wire

import "math"

// The hand-written CBOR used by the fast path (fastframe.go): just enough of
// core deterministic encoding for unsigned integers, byte strings, text
// strings, small definite-length maps and arrays of ids. Heads are always shortest form.

// CBOR major types, shifted into the initial byte's top three bits.
const (
	majorUint  byte = 0 << 5
	majorBytes byte = 2 << 5
	majorText  byte = 3 << 5
	majorArray byte = 4 << 5
	majorMap   byte = 5 << 5
)

// headLen is the size of the shortest head carrying v.
func headLen(v uint64) int {
	switch {
	case v < 24:
		return 1
	case v <= math.MaxUint8:
		return 2
	case v <= math.MaxUint16:
		return 3
	case v <= math.MaxUint32:
		return 5
	default:
		return 9
	}
}

// appendHead appends the shortest head of major type m carrying v.
func appendHead(dst []byte, m byte, v uint64) []byte {
	switch {
	case v < 24:
		return append(dst, m|byte(v))
	case v <= math.MaxUint8:
		return append(dst, m|24, byte(v))
	case v <= math.MaxUint16:
		return append(dst, m|25, byte(v>>8), byte(v))
	case v <= math.MaxUint32:
		return append(dst, m|26, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	default:
		return append(dst, m|27, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32),
			byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
}

// appendString appends a byte or text string (m is majorBytes or majorText).
func appendString[S []byte | string](dst []byte, m byte, s S) []byte {
	return append(appendHead(dst, m, uint64(len(s))), s...)
}

// cursor reads canonical CBOR from b. The first mismatch clears ok and every
// later read returns zero values, so a decoder checks ok once at the end.
// It only recognises the shortest, definite-length forms; anything else
// (non-shortest heads, indefinite lengths, tags, floats, simple values) is a
// mismatch, never an interpretation.
type cursor struct {
	b   []byte
	off int
	ok  bool
}

// expect consumes one byte equal to c.
func (r *cursor) expect(c byte) {
	if !r.ok || r.off >= len(r.b) || r.b[r.off] != c {
		r.ok = false
		return
	}
	r.off++
}

// head consumes a head of major type m in its shortest form and returns its
// argument.
func (r *cursor) head(m byte) uint64 {
	if !r.ok || r.off >= len(r.b) || r.b[r.off]&0xe0 != m {
		r.ok = false
		return 0
	}
	ai := r.b[r.off] & 0x1f
	r.off++
	if ai < 24 {
		return uint64(ai)
	}
	n, min := 0, uint64(0)
	switch ai {
	case 24:
		n, min = 1, 24
	case 25:
		n, min = 2, math.MaxUint8+1
	case 26:
		n, min = 4, math.MaxUint16+1
	case 27:
		n, min = 8, math.MaxUint32+1
	default: // 28..30 reserved, 31 indefinite
		r.ok = false
		return 0
	}
	return r.argument(n, min)
}

// argument consumes the n-byte big-endian argument of a head and requires
// it to be at least min (otherwise a shorter head would have carried it).
func (r *cursor) argument(n int, min uint64) uint64 {
	if len(r.b)-r.off < n {
		r.ok = false
		return 0
	}
	var v uint64
	for _, c := range r.b[r.off : r.off+n] {
		v = v<<8 | uint64(c)
	}
	r.off += n
	if v < min {
		r.ok = false
		return 0
	}
	return v
}

// uint consumes an unsigned integer.
func (r *cursor) uint() uint64 { return r.head(majorUint) }

// str consumes a byte or text string (m is majorBytes or majorText) and
// returns its content, which aliases the input.
func (r *cursor) str(m byte) []byte {
	n := r.head(m)
	if !r.ok || n > uint64(len(r.b)-r.off) {
		r.ok = false
		return nil
	}
	s := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return s
}

// done reports whether every read matched and the input is used up.
func (r *cursor) done() bool { return r.ok && r.off == len(r.b) }
