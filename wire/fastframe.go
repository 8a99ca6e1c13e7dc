package wire

import "unicode/utf8"

// The fast path for the frames on the relay's hot path: Send, Accepted,
// Deliver, Ack, Ping and Pong (with or without Req). Every other frame type
// goes through fxamacker/cbor and the re-encode check (codec.go).
//
// Encoding writes exactly the bytes the generic encoder writes for a valid
// frame (core deterministic order: Req under key 0 first, then the payload;
// payload keys 1..4 in order, none of them optional, except More (key 2 of
// Ack and Accepted), written only when not empty, as a definite-length
// array of 16-byte ids).
//
// Decoding accepts only the one canonical byte form of a valid frame, so
// every input it accepts is one the generic path accepts, with an equal
// result. It never rejects anything itself: on any other input (a
// non-shortest head, other key order, an explicit Req 0, a tag, trailing
// bytes, a length out of range, invalid UTF-8, ...) it reports false and
// [Unmarshal] runs the generic path, which produces the error. Differential
// tests and fuzz targets (fastframe_test.go) hold the two paths equal.

// hotSize returns the encoded size of f when f is a hot frame type, else 0.
// f must have passed Validate (exactly one payload); then the size is at
// most 61,547 bytes (a Send with Req, a 32-byte name and the largest body;
// the largest Ack or Accepted, with Req and MaxBatchIDs ids, is 4,370),
// below MaxFrameSize, so the fast encoder needs no size check.
func hotSize(f *Frame) int {
	var n int
	switch {
	case f.Send != nil:
		s := f.Send
		n = 5 + strLen(len(s.ID)) + strLen(len(s.To)) + strLen(len(s.Body)) + strLen(len(s.IdentityKey))
	case f.Deliver != nil:
		d := f.Deliver
		n = 5 + strLen(len(d.ID)) + strLen(len(d.From)) + strLen(len(d.Body)) + headLen(d.SentAt)
	case f.Accepted != nil:
		n = idsSize(f.Accepted.ID, f.Accepted.More)
	case f.Ack != nil:
		n = idsSize(f.Ack.ID, f.Ack.More)
	case f.Ping != nil:
		n = 2 + headLen(f.Ping.N)
	case f.Pong != nil:
		n = 2 + headLen(f.Pong.N)
	default:
		return 0
	}
	if f.Req != 0 {
		n += 1 + headLen(f.Req)
	}
	return n + 3 // frame map head, 2-byte type key
}

func strLen(n int) int { return headLen(uint64(n)) + n }

// idsSize is the payload size of an Ack or Accepted: {1: id}, or
// {1: id, 2: more} when more is not empty (an empty More is omitted, as
// the generic encoder's omitempty does).
func idsSize(id []byte, more [][]byte) int {
	n := 2 + strLen(len(id))
	if len(more) == 0 {
		return n
	}
	n += 1 + headLen(uint64(len(more)))
	for _, m := range more {
		n += strLen(len(m))
	}
	return n
}

// appendHot appends the encoding of a hot frame (hotSize(f) > 0) to dst.
func appendHot(dst []byte, f *Frame) []byte {
	switch {
	case f.Send != nil:
		return appendSend(appendFrameHead(dst, f.Req, TypeSend), f.Send)
	case f.Deliver != nil:
		return appendDeliver(appendFrameHead(dst, f.Req, TypeDeliver), f.Deliver)
	case f.Accepted != nil:
		return appendIDsPayload(appendFrameHead(dst, f.Req, TypeAccepted), f.Accepted.ID, f.Accepted.More)
	case f.Ack != nil:
		return appendIDsPayload(appendFrameHead(dst, f.Req, TypeAck), f.Ack.ID, f.Ack.More)
	case f.Ping != nil:
		return appendNPayload(appendFrameHead(dst, f.Req, TypePing), f.Ping.N)
	default:
		return appendNPayload(appendFrameHead(dst, f.Req, TypePong), f.Pong.N)
	}
}

// appendFrameHead appends the frame map head, Req when non-zero, and the
// payload's type key.
func appendFrameHead(dst []byte, req uint64, t Type) []byte {
	if req == 0 {
		dst = append(dst, majorMap|1)
	} else {
		dst = appendHead(append(dst, majorMap|2, 0), majorUint, req)
	}
	return appendHead(dst, majorUint, uint64(t))
}

func appendSend(dst []byte, s *Send) []byte {
	dst = appendString(append(dst, majorMap|4, 1), majorBytes, s.ID)
	dst = appendString(append(dst, 2), majorText, s.To)
	dst = appendString(append(dst, 3), majorBytes, s.Body)
	return appendString(append(dst, 4), majorBytes, s.IdentityKey)
}

func appendDeliver(dst []byte, d *Deliver) []byte {
	dst = appendString(append(dst, majorMap|4, 1), majorBytes, d.ID)
	dst = appendString(append(dst, 2), majorText, d.From)
	dst = appendString(append(dst, 3), majorBytes, d.Body)
	return appendHead(append(dst, 4), majorUint, d.SentAt)
}

// appendIDsPayload appends {1: id} or, when more is not empty,
// {1: id, 2: [more...]} (Accepted, Ack).
func appendIDsPayload(dst, id []byte, more [][]byte) []byte {
	if len(more) == 0 {
		return appendString(append(dst, majorMap|1, 1), majorBytes, id)
	}
	dst = appendString(append(dst, majorMap|2, 1), majorBytes, id)
	dst = appendHead(append(dst, 2), majorArray, uint64(len(more)))
	for _, m := range more {
		dst = appendString(dst, majorBytes, m)
	}
	return dst
}

// appendNPayload appends {1: n} (Ping, Pong).
func appendNPayload(dst []byte, n uint64) []byte {
	return appendHead(append(dst, majorMap|1, 1), majorUint, n)
}

// decodeHot decodes b into f when b is the canonical encoding of a valid hot
// frame and reports whether it did. On false f is untouched.
func decodeHot(b []byte, f *Frame) bool {
	if len(b) > MaxFrameSize {
		return false
	}
	r := cursor{b: b, ok: true}
	req := r.frameHead()
	var out Frame
	switch typ := r.uint(); typ {
	case uint64(TypeSend):
		out.Send = r.send()
	case uint64(TypeDeliver):
		out.Deliver = r.deliver()
	case uint64(TypeAccepted):
		if id, more := r.idsPayload(); id != nil {
			out.Accepted = newAccepted(id, more)
		}
	case uint64(TypeAck):
		if id, more := r.idsPayload(); id != nil {
			out.Ack = newAck(id, more)
		}
	case uint64(TypePing):
		if n, ok := r.nPayload(); ok {
			out.Ping = &Ping{N: n}
		}
	case uint64(TypePong):
		if n, ok := r.nPayload(); ok {
			out.Pong = &Pong{N: n}
		}
	default:
		r.ok = false
	}
	out.Req = req
	if !r.ok || out.Validate() != nil { // Validate: a safety net, the payload readers checked
		return false
	}
	*f = out
	return true
}

// frameHead reads the frame map head and Req, which must be non-zero when
// present (a zero Req is omitted in the canonical form).
func (r *cursor) frameHead() (req uint64) {
	switch r.head(majorMap) {
	case 1:
	case 2:
		r.expect(0)
		if req = r.uint(); req == 0 {
			r.ok = false
		}
	default:
		r.ok = false
	}
	return req
}

// The payload readers below consume the rest of the input and allocate only
// once it has matched completely (r.done) and every field is in range.

func (r *cursor) send() *Send {
	r.expect(majorMap | 4)
	r.expect(1)
	id := r.str(majorBytes)
	r.expect(2)
	to := r.str(majorText)
	r.expect(3)
	body := r.str(majorBytes)
	r.expect(4)
	key := r.str(majorBytes)
	if !r.done() || len(id) != IDSize || !validName(to) || !validBody(body) || len(key) != KeySize {
		r.ok = false
		return nil
	}
	return newSend(id, to, body, key)
}

func (r *cursor) deliver() *Deliver {
	r.expect(majorMap | 4)
	r.expect(1)
	id := r.str(majorBytes)
	r.expect(2)
	from := r.str(majorText)
	r.expect(3)
	body := r.str(majorBytes)
	r.expect(4)
	sentAt := r.uint()
	if !r.done() || len(id) != IDSize || !validName(from) || !validBody(body) {
		r.ok = false
		return nil
	}
	return newDeliver(id, from, body, sentAt)
}

// idsPayload reads {1: id} or {1: id, 2: [id, ...]} with 16-byte ids and
// 1 to MaxBatchIDs-1 ids in the array; id is nil when it does not match.
// more is the array's content (n ids, each with its 1-byte head 0x50),
// aliasing the input: the caller copies it.
func (r *cursor) idsPayload() (id []byte, more batchIDs) {
	pairs := r.head(majorMap)
	r.expect(1)
	id = r.str(majorBytes)
	switch pairs {
	case 1:
	case 2:
		r.expect(2)
		more = r.batch()
	default:
		r.ok = false
	}
	if !r.done() || len(id) != IDSize {
		r.ok = false
		return nil, batchIDs{}
	}
	return id, more
}

// batchIDs is the raw array of a batched Ack or Accepted: n ids of IDSize
// bytes, each preceded by its one-byte head, as they lie in the input.
type batchIDs struct {
	n   int
	raw []byte
}

// idItem is the encoded size of one id in the array: head 0x50 and 16 bytes.
const idItem = 1 + IDSize

// batch reads a non-empty array of at most MaxBatchIDs-1 16-byte byte
// strings. The count is checked before anything else is read.
func (r *cursor) batch() batchIDs {
	n := r.head(majorArray)
	if !r.ok || n < 1 || n > MaxBatchIDs-1 || uint64(len(r.b)-r.off) < n*idItem {
		r.ok = false
		return batchIDs{}
	}
	raw := r.b[r.off : r.off+int(n)*idItem]
	for i := 0; i < len(raw); i += idItem {
		if raw[i] != majorBytes|IDSize {
			r.ok = false
			return batchIDs{}
		}
	}
	r.off += len(raw)
	return batchIDs{n: int(n), raw: raw}
}

// nPayload reads {1: n}.
func (r *cursor) nPayload() (uint64, bool) {
	r.expect(majorMap | 1)
	r.expect(1)
	n := r.uint()
	return n, r.done()
}

// validName is checkName plus the UTF-8 rule the generic decoder applies
// to every text string.
func validName(s []byte) bool {
	return len(s) >= 1 && len(s) <= MaxUsernameLen && utf8.Valid(s)
}

func validBody(b []byte) bool { return len(b) >= 1 && len(b) <= MaxBodySize }
