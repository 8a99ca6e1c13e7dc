package store

import "encoding/binary"

// ackedIDs is the bounded memory of ids acked while held (heldSet.acked):
// two generations of at most half the limit each; when the current one
// fills up it becomes the old one and the oldest generation goes (no map
// deletes: a map with steady deletes slows down).
//
// Every Append asks whether its id was acked, and almost never was: a
// miss in two maps of tens of thousands of entries is two cache misses
// per message. So each generation has a bit filter in front of its map
// (filterBits bits, one per id, set from the id's first 8 bytes): a clear
// bit proves the id is not in that generation, and the maps are read only
// on a set bit. The filter may only say "maybe" wrongly, never "no": a
// sender choosing ids that share bits costs the relay the map lookups it
// did before, not a wrong answer.
type ackedIDs struct {
	cur, old   map[heldKey]struct{}
	curF, oldF *idFilter
	half       int // entries per generation
}

const filterBits = 1 << 19 // 64 KiB per generation; ~6% "maybe" at 32,768 ids

type idFilter [filterBits / 64]uint64

func filterBit(k heldKey) (word int, mask uint64) {
	b := binary.LittleEndian.Uint64(k.id[:8]) % filterBits
	return int(b / 64), 1 << (b % 64)
}

func (f *idFilter) add(k heldKey) {
	w, m := filterBit(k)
	f[w] |= m
}

func (f *idFilter) maybe(k heldKey) bool {
	w, m := filterBit(k)
	return f[w]&m != 0
}

func (a *ackedIDs) init(limit int) {
	a.cur, a.old = map[heldKey]struct{}{}, map[heldKey]struct{}{}
	a.curF, a.oldF = new(idFilter), new(idFilter)
	a.half = max(limit/2, 1)
}

// add remembers k.
func (a *ackedIDs) add(k heldKey) {
	if len(a.cur) >= a.half {
		clear(a.old) // reused: a fresh map per generation is garbage
		*a.oldF = idFilter{}
		a.old, a.cur = a.cur, a.old
		a.oldF, a.curF = a.curF, a.oldF
	}
	a.cur[k] = struct{}{}
	a.curF.add(k)
}

// has reports whether k is remembered.
func (a *ackedIDs) has(k heldKey) bool {
	if a.curF.maybe(k) {
		if _, ok := a.cur[k]; ok {
			return true
		}
	}
	if a.oldF.maybe(k) {
		_, ok := a.old[k]
		return ok
	}
	return false
}

// len is the number of ids remembered.
func (a *ackedIDs) len() int { return len(a.cur) + len(a.old) }
