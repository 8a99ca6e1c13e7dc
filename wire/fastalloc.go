package wire

import "unsafe"

// Allocation layout of fast-decoded payloads. A decoded frame owns its
// bytes (nothing aliases the input), and costs at most three allocations:
// the payload struct together with its fixed-size fields in one "box",
// plus the body for Send and Deliver, or for a batched Ack or Accepted one
// backing array for all the ids of More and one for their slice headers.
//
// Every byte slice carved from a box is capped at its own length (a full
// slice expression), so appending to one reallocates instead of writing
// into its neighbour. The username (Send.To, Deliver.From) is a string over
// the box's tail: those bytes are written once, before the string is made,
// and no slice reaches them afterwards, so the string is immutable as Go
// requires.

type sendBox struct {
	Send
	fixed [IDSize + KeySize + MaxUsernameLen]byte
}

type deliverBox struct {
	Deliver
	fixed [IDSize + MaxUsernameLen]byte
}

type acceptedBox struct {
	Accepted
	id [IDSize]byte
}

type ackBox struct {
	Ack
	id [IDSize]byte
}

// newSend copies the fields into one box and one body allocation.
// len(id) == IDSize, len(key) == KeySize, len(to) <= MaxUsernameLen.
func newSend(id, to, body, key []byte) *Send {
	box := new(sendBox)
	box.ID = carve(box.fixed[:], 0, id)
	box.IdentityKey = carve(box.fixed[:], IDSize, key)
	box.To = carveString(box.fixed[:], IDSize+KeySize, to)
	box.Body = clone(body)
	return &box.Send
}

// newDeliver: len(id) == IDSize, len(from) <= MaxUsernameLen.
func newDeliver(id, from, body []byte, sentAt uint64) *Deliver {
	box := new(deliverBox)
	box.ID = carve(box.fixed[:], 0, id)
	box.From = carveString(box.fixed[:], IDSize, from)
	box.Body = clone(body)
	box.SentAt = sentAt
	return &box.Deliver
}

// newAccepted: len(id) == IDSize; more as batch read it.
func newAccepted(id []byte, more batchIDs) *Accepted {
	box := new(acceptedBox)
	box.ID = carve(box.id[:], 0, id)
	box.More = carveIDs(more)
	return &box.Accepted
}

// newAck: len(id) == IDSize; more as batch read it.
func newAck(id []byte, more batchIDs) *Ack {
	box := new(ackBox)
	box.ID = carve(box.id[:], 0, id)
	box.More = carveIDs(more)
	return &box.Ack
}

// carveIDs copies the ids of a batch into one backing array and returns
// them as capped slices over it: two allocations, or none (nil) for an
// empty batch.
func carveIDs(more batchIDs) [][]byte {
	if more.n == 0 {
		return nil
	}
	buf := make([]byte, more.n*IDSize)
	ids := make([][]byte, more.n)
	for i := range ids {
		item := more.raw[i*idItem : (i+1)*idItem]
		ids[i] = carve(buf, i*IDSize, item[1:]) // item[0] is the head 0x50
	}
	return ids
}

// carve copies src into buf at off and returns that region, capped.
func carve(buf []byte, off int, src []byte) []byte {
	end := off + copy(buf[off:], src)
	return buf[off:end:end]
}

// carveString copies src into buf at off and returns it as a string sharing
// that memory. The caller never writes to the region again.
func carveString(buf []byte, off int, src []byte) string {
	s := carve(buf, off, src)
	return unsafe.String(unsafe.SliceData(s), len(s))
}

// clone returns a copy of b with cap == len (b is not empty).
func clone(b []byte) []byte {
	c := make([]byte, len(b))
	copy(c, b)
	return c
}
