package e2e

import (
	"fmt"

	"github.com/securep2p/securep2p/wire"
)

// Kind is what a Content carries.
type Kind string

// Content kinds.
const (
	KindText    Kind = "text"    // Body is the message text
	KindReceipt Kind = "receipt" // Refs were delivered (stored) at the recipient
	KindRead    Kind = "read"    // Refs were read
)

// Content limits.
const (
	MaxBody    = 48 << 10 // bytes of Content.Body (UTF-8)
	MaxRefs    = 64       // message ids in one receipt
	minPadding = 64       // smallest bucket
	bigBucket  = 4096     // buckets grow by this step above it
)

// Content is the plaintext inside an envelope.
type Content struct {
	Kind   Kind     `cbor:"1,keyasint" json:"kind"`
	Body   string   `cbor:"2,keyasint,omitempty" json:"body,omitempty"`
	SentAt uint64   `cbor:"3,keyasint" json:"sent_at"` // sender clock, Unix milliseconds
	ID     []byte   `cbor:"4,keyasint" json:"id"`      // wire.IDSize random bytes
	Refs   [][]byte `cbor:"5,keyasint,omitempty" json:"refs,omitempty"`
}

func (c *Content) validate() error {
	switch c.Kind {
	case KindText:
		if len(c.Refs) != 0 {
			return fmt.Errorf("%w: text with refs", ErrMalformed)
		}
	case KindReceipt, KindRead:
		if c.Body != "" || len(c.Refs) == 0 {
			return fmt.Errorf("%w: receipt form", ErrMalformed)
		}
	default:
		return fmt.Errorf("%w: content kind", ErrMalformed)
	}
	if len(c.Body) > MaxBody || len(c.Refs) > MaxRefs || len(c.ID) != wire.IDSize {
		return fmt.Errorf("%w: content limits", ErrMalformed)
	}
	for _, r := range c.Refs {
		if len(r) != wire.IDSize {
			return fmt.Errorf("%w: content ref", ErrMalformed)
		}
	}
	return nil
}

// Bucket returns the padded size for n bytes of encoded content plus the
// mandatory 0x80 marker: the smallest of 64, 128, ..., 4096, then multiples
// of 4096 up to MaxPlaintext. ok is false when n does not fit.
func Bucket(n int) (size int, ok bool) {
	need := n + 1
	for b := minPadding; b <= bigBucket; b *= 2 {
		if need <= b {
			return b, true
		}
	}
	size = (need + bigBucket - 1) / bigBucket * bigBucket
	return size, size <= MaxPlaintext
}

// EncodeContent validates c, encodes it as CBOR and pads it
// (content || 0x80 || 0x00...) to its bucket.
func EncodeContent(c *Content) ([]byte, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	b, err := wire.Encode(c)
	if err != nil {
		return nil, fmt.Errorf("e2e: encode content: %w", err)
	}
	size, ok := Bucket(len(b))
	if !ok {
		return nil, fmt.Errorf("%w: content of %d bytes", ErrTooLarge, len(b))
	}
	out := make([]byte, size)
	copy(out, b)
	out[len(b)] = 0x80
	return out, nil
}

// DecodeContent checks the bucket size and padding, then decodes and
// validates the content.
func DecodeContent(b []byte) (*Content, error) {
	if len(b) > MaxPlaintext || len(b) < minPadding {
		return nil, fmt.Errorf("%w: content size", ErrMalformed)
	}
	end := len(b) - 1
	for end >= 0 && b[end] == 0 {
		end--
	}
	if end < 0 || b[end] != 0x80 {
		return nil, fmt.Errorf("%w: content padding", ErrMalformed)
	}
	if size, ok := Bucket(end); !ok || size != len(b) {
		return nil, fmt.Errorf("%w: content bucket", ErrMalformed)
	}
	c := &Content{}
	if err := wire.Decode(b[:end], c); err != nil {
		return nil, fmt.Errorf("%w: content", ErrMalformed)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}
