package wire

import "unsafe"

// Allocation layout of fast-decoded payloads. A decoded frame owns its
// bytes (nothing aliases the input), and costs at most two allocations:
// the payload struct together with its fixed-size fields in one "box",
// plus the body for Send and Deliver.
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

func newAccepted(id []byte) *Accepted {
	box := new(acceptedBox)
	box.ID = carve(box.id[:], 0, id)
	return &box.Accepted
}

func newAck(id []byte) *Ack {
	box := new(ackBox)
	box.ID = carve(box.id[:], 0, id)
	return &box.Ack
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
