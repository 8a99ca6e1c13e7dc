package wire

// Hooks for the differential tests in fastframe_test.go: the generic
// (fxamacker/cbor) paths alone, and the fast decoder alone.

// MarshalGeneric is Marshal without the fast path.
func MarshalGeneric(f *Frame) ([]byte, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return marshalGeneric(f)
}

// UnmarshalGeneric is Unmarshal without the fast path.
func UnmarshalGeneric(b []byte, f *Frame) error { return unmarshalGeneric(b, f) }

// DecodeHot runs only the fast decoder.
func DecodeHot(b []byte, f *Frame) bool { return decodeHot(b, f) }
