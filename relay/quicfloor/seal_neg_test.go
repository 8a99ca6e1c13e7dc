package quicfloor

import (
	"bytes"
	"errors"
	"testing"
)

// sealedBody seals msg and returns the body readMsg would return for it.
func sealedBody(h *hopAEAD, msg []byte) []byte {
	return h.seal(nil, msg)[headerSize:]
}

func TestSealOpenRoundTrip(t *testing.T) {
	s, o := newHopAEAD(toForwarder, 7), newHopAEAD(toForwarder, 7)
	for i := range 3 {
		msg := bytes.Repeat([]byte{byte(i)}, 200)
		got, err := o.open(nil, sealedBody(s, msg))
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("message %d: %x, %v", i, got, err)
		}
	}
}

func TestOpenBitFlip(t *testing.T) {
	s, o := newHopAEAD(toForwarder, 7), newHopAEAD(toForwarder, 7)
	body := sealedBody(s, make([]byte, 200))
	body[len(body)/2] ^= 1
	if _, err := o.open(nil, body); !errors.Is(err, errOpen) {
		t.Fatalf("err = %v, want errOpen", err)
	}
}

func TestOpenReplay(t *testing.T) {
	s, o := newHopAEAD(toForwarder, 7), newHopAEAD(toForwarder, 7)
	body := sealedBody(s, make([]byte, 200))
	if _, err := o.open(nil, body); err != nil {
		t.Fatal(err)
	}
	if _, err := o.open(nil, body); !errors.Is(err, errOpen) {
		t.Fatalf("replay: err = %v, want errOpen", err)
	}
}

func TestOpenWrongDirection(t *testing.T) {
	s, o := newHopAEAD(toClient, 7), newHopAEAD(toForwarder, 7)
	if _, err := o.open(nil, sealedBody(s, make([]byte, 200))); !errors.Is(err, errOpen) {
		t.Fatalf("err = %v, want errOpen", err)
	}
}

func TestOpenTruncated(t *testing.T) {
	s, o := newHopAEAD(toForwarder, 7), newHopAEAD(toForwarder, 7)
	body := sealedBody(s, make([]byte, 200))
	if _, err := o.open(nil, body[:len(body)-1]); !errors.Is(err, errOpen) {
		t.Fatalf("err = %v, want errOpen", err)
	}
}
