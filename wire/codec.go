package wire

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"github.com/fxamacker/cbor/v2"
)

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("wire: malformed frame")

var (
	encMode cbor.UserBufferEncMode
	decMode cbor.DecMode
	// checkBufs holds the buffers Decode re-encodes into for its canonical
	// check, so the check allocates nothing in the steady state. They are
	// zeroed after each use.
	checkBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}
)

func init() {
	var err error
	encMode, err = cbor.EncOptions{
		Sort:          cbor.SortCoreDeterministic,
		ShortestFloat: cbor.ShortestFloat16,
		NaNConvert:    cbor.NaNConvert7e00,
		InfConvert:    cbor.InfConvertFloat16,
		IndefLength:   cbor.IndefLengthForbidden,
		TagsMd:        cbor.TagsForbidden,
	}.UserBufferEncMode()
	if err != nil {
		panic("wire: cbor encode options: " + err.Error())
	}
	decMode, err = cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		MaxNestedLevels:   MaxNesting,
		MaxArrayElements:  MaxArrayLen,
		MaxMapPairs:       MaxMapPairs,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		UTF8:              cbor.UTF8RejectInvalid,
	}.DecMode()
	if err != nil {
		panic("wire: cbor decode options: " + err.Error())
	}
}

// Encode encodes any value in the protocol's deterministic CBOR. Other
// packages that define CBOR structures (the end-to-end layer) use it so that
// the whole system has one encoding.
func Encode(v any) ([]byte, error) { return encMode.Marshal(v) }

// Decode decodes b into v with the strict decode mode and requires that v
// re-encodes to exactly b (one byte form per value). Callers check
// semantic limits (field lengths) themselves.
func Decode(b []byte, v any) error {
	if len(b) > MaxFrameSize {
		return fmt.Errorf("%w: %d bytes exceeds %d", ErrMalformed, len(b), MaxFrameSize)
	}
	if err := decMode.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if !canonical(b, v) {
		return fmt.Errorf("%w: not in canonical form", ErrMalformed)
	}
	return nil
}

// canonical reports whether v encodes to exactly b. Re-encoding (rather than
// a syntactic scan) also catches forms that decode to the same value, such
// as an omitempty field sent with its zero value or a null pointer.
func canonical(b []byte, v any) bool {
	buf := checkBufs.Get().(*bytes.Buffer)
	buf.Reset()
	err := encMode.MarshalToBuffer(v, buf)
	ok := err == nil && bytes.Equal(buf.Bytes(), b)
	clear(buf.Bytes()) // decoded values may be secrets (passwords, stored keys)
	if buf.Cap() <= MaxFrameSize+1024 {
		checkBufs.Put(buf)
	}
	return ok
}

// Marshal validates f and encodes it. It refuses frames that break a limit.
// The result is a new slice owned by the caller.
func Marshal(f *Frame) ([]byte, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if n := hotSize(f); n > 0 {
		return appendHot(make([]byte, 0, n), f), nil
	}
	return marshalGeneric(f)
}

// AppendFrame validates f and appends its encoding (the bytes [Marshal]
// returns) to dst. On error it returns dst unchanged. Send, Accepted,
// Deliver, Ack, Ping and Pong frames are encoded without allocating when
// dst has room, so a connection can encode into a reused buffer.
func AppendFrame(dst []byte, f *Frame) ([]byte, error) {
	if err := f.Validate(); err != nil {
		return dst, err
	}
	if hotSize(f) > 0 {
		return appendHot(dst, f), nil
	}
	b, err := marshalGeneric(f)
	if err != nil {
		return dst, err
	}
	dst = append(dst, b...)
	clear(b) // other frames carry passwords
	return dst, nil
}

// marshalGeneric encodes a validated frame with fxamacker/cbor.
func marshalGeneric(f *Frame) ([]byte, error) {
	b, err := encMode.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("wire: encode frame: %w", err)
	}
	if len(b) > MaxFrameSize {
		return nil, fmt.Errorf("wire: encode frame: %d bytes exceeds %d", len(b), MaxFrameSize)
	}
	return b, nil
}

// Unmarshal decodes one frame with the strict decode mode and validates it.
// f is reset first. The decoded frame owns its bytes: nothing aliases b.
//
// The hot frame types (Send, Accepted, Deliver, Ack, Ping, Pong) in their
// canonical form are decoded by a hand-written reader in at most two
// allocations (three for a batched Ack or Accepted); everything else,
// including every input that reader does not accept, goes through the
// generic path, so both accept and reject exactly the same inputs with the
// same results and errors.
func Unmarshal(b []byte, f *Frame) error {
	*f = Frame{}
	if decodeHot(b, f) {
		return nil
	}
	return unmarshalGeneric(b, f)
}

// unmarshalGeneric is Unmarshal without the fast path.
func unmarshalGeneric(b []byte, f *Frame) error {
	*f = Frame{}
	if err := Decode(b, f); err != nil {
		return err
	}
	return f.Validate()
}
