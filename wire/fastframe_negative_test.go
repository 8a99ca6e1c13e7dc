package wire_test

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/securep2p/securep2p/wire"
)

// Named negative tests for the fast-path frame types. Each input is close to
// a canonical hot frame, so it reaches the fast decoder; each must be
// refused by it (it falls back) and by Unmarshal with the generic error.

// Pieces of the golden Send {30: {1: id, 2: "bob", 3: body, 4: key}}.
const (
	hSendID   = " 01 50 c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
	hSendTo   = " 02 63 626f62"
	hSendBody = " 03 58 1a 6f706171756520656e642d746f2d656e6420656e76656c6f7065"
	hSendKey  = " 04 58 21 02 12131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031"
	hSend     = "a1 181e a4" + hSendID + hSendTo + hSendBody + hSendKey
	hID       = " 50 c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
	hDeliver  = "a1 1820 a4" + hSendID + " 02 65 616c696365" + hSendBody
)

var (
	negSendLongIDHead   = "a1 181e a4 01 5810 c0c1c2c3c4c5c6c7c8c9cacbcccdcecf" + hSendTo + hSendBody + hSendKey
	negSendKeysOrder    = "a1 181e a4" + hSendTo + hSendID + hSendBody + hSendKey
	negSendReqZero      = "a2 00 00 181e a4" + hSendID + hSendTo + hSendBody + hSendKey
	negSendTrailing     = hSend + " 00"
	negSendIndefBody    = "a1 181e a4" + hSendID + hSendTo + " 03 5f 4d 6f706171756520656e642d74 4d 6f2d656e6420656e76656c6f7065 ff" + hSendKey
	negSendTaggedBody   = "a1 181e a4" + hSendID + hSendTo + " 03 d840 581a 6f706171756520656e642d746f2d656e6420656e76656c6f7065" + hSendKey
	negSendDupKey       = "a1 181e a5" + hSendID + hSendID + hSendTo + hSendBody + hSendKey
	negSendUnknownKey   = "a1 181e a5" + hSendID + hSendTo + hSendBody + hSendKey + " 05 00"
	negSendMissingKey   = "a1 181e a3" + hSendID + hSendTo + hSendBody
	negSendNullKey      = "a1 181e a4" + hSendID + hSendTo + hSendBody + " 04 f6"
	negSendBadUTF8      = "a1 181e a4" + hSendID + " 02 63 62ff62" + hSendBody + hSendKey
	negSendEmptyBody    = "a1 181e a4" + hSendID + hSendTo + " 03 40" + hSendKey
	negSendLongMapHead  = "b801 181e a4" + hSendID + hSendTo + hSendBody + hSendKey
	negSendLongTypeKey  = "a1 19001e a4" + hSendID + hSendTo + hSendBody + hSendKey
	negDeliverFloat     = hDeliver + " 04 fb 4279a0a2b9e00000"
	negDeliverNegative  = hDeliver + " 04 20"
	negDeliverLongInt   = hDeliver + " 04 1a 00000005"
	negDeliverTruncated = hDeliver + " 04 1b 000001a0c7b6a6"
	negAckShortID       = "a1 1821 a1 01 4f c0c1c2c3c4c5c6c7c8c9cacbcccdce"
	negAckTextID        = "a1 1821 a1 01 70 30313233343536373839616263646566"
	negAcceptedReqLast  = "a2 181f a1 01" + hID + " 00 01"
	negPingLongReq      = "a2 00 1801 1829 a1 01 01"
	negPingBoolN        = "a1 1829 a1 01 f5"
	negPongIndefMap     = "a1 182a bf 01 01 ff"
)

func fastNegativeInputs(t testing.TB) [][]byte {
	var out [][]byte
	for _, h := range []string{negSendLongIDHead, negSendKeysOrder, negSendReqZero, negSendTrailing,
		negSendIndefBody, negSendTaggedBody, negSendDupKey, negSendUnknownKey, negSendMissingKey,
		negSendNullKey, negSendBadUTF8, negSendEmptyBody, negSendLongMapHead, negSendLongTypeKey,
		negDeliverFloat, negDeliverNegative, negDeliverLongInt, negDeliverTruncated, negAckShortID,
		negAckTextID, negAcceptedReqLast, negPingLongReq, negPingBoolN, negPongIndefMap} {
		out = append(out, hexBytes(t, h))
	}
	return out
}

func hexBytes(t testing.TB, h string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(h, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustRejectFast: the fast decoder does not take b, and Unmarshal refuses
// it with want naming cause (the generic path's error).
func mustRejectFast(t *testing.T, h string, want error, cause string) {
	t.Helper()
	b := decodeHex(t, h)
	var f wire.Frame
	if wire.DecodeHot(b, &f) {
		t.Fatalf("fast decoder accepted %x as %+v", b, f)
	}
	mustReject(t, b, want, cause)
}

func TestFastSendBaseline(t *testing.T) {
	var f wire.Frame
	if !wire.DecodeHot(decodeHex(t, hSend), &f) || f.Send == nil || f.Send.To != "bob" {
		t.Fatalf("baseline send not taken by the fast decoder: %+v", f)
	}
	if !wire.DecodeHot(decodeHex(t, hDeliver+" 04 00"), &f) || f.Deliver == nil || f.Deliver.From != "alice" {
		t.Fatalf("baseline deliver not taken by the fast decoder: %+v", f)
	}
}

func TestFastSendNonCanonicalLengthHead(t *testing.T) {
	mustRejectFast(t, negSendLongIDHead, wire.ErrMalformed, "canonical")
}

func TestFastSendOutOfOrderKeys(t *testing.T) {
	mustRejectFast(t, negSendKeysOrder, wire.ErrMalformed, "canonical")
}

func TestFastSendExplicitReqZero(t *testing.T) {
	mustRejectFast(t, negSendReqZero, wire.ErrMalformed, "canonical")
}

func TestFastSendTrailingBytes(t *testing.T) {
	mustRejectFast(t, negSendTrailing, wire.ErrMalformed, "extraneous data")
}

func TestFastSendIndefiniteBody(t *testing.T) {
	mustRejectFast(t, negSendIndefBody, wire.ErrMalformed, "indefinite-length")
}

func TestFastSendTaggedBody(t *testing.T) {
	mustRejectFast(t, negSendTaggedBody, wire.ErrMalformed, "tag")
}

func TestFastSendDuplicateKey(t *testing.T) {
	mustRejectFast(t, negSendDupKey, wire.ErrMalformed, "duplicate map key")
}

func TestFastSendUnknownKey(t *testing.T) {
	mustRejectFast(t, negSendUnknownKey, wire.ErrMalformed, "unknown field")
}

func TestFastSendMissingKey(t *testing.T) {
	// IdentityKey absent: decodes as nil, re-encodes as null (f6).
	mustRejectFast(t, negSendMissingKey, wire.ErrMalformed, "canonical")
}

func TestFastSendNullIdentityKey(t *testing.T) {
	mustRejectFast(t, negSendNullKey, wire.ErrInvalid, "identity key is 0 bytes")
}

func TestFastSendInvalidUTF8(t *testing.T) {
	mustRejectFast(t, negSendBadUTF8, wire.ErrMalformed, "UTF-8")
}

func TestFastSendEmptyBody(t *testing.T) {
	mustRejectFast(t, negSendEmptyBody, wire.ErrInvalid, "body length 0")
}

func TestFastSendBodyTooLarge(t *testing.T) {
	body := strings.Repeat("00", wire.MaxBodySize+1)
	h := "a1 181e a4" + hSendID + hSendTo + " 03 59 f001" + body + hSendKey
	mustRejectFast(t, h, wire.ErrInvalid, "body length 61441")
}

func TestFastSendNonCanonicalMapHead(t *testing.T) {
	mustRejectFast(t, negSendLongMapHead, wire.ErrMalformed, "canonical")
}

func TestFastSendNonCanonicalTypeKey(t *testing.T) {
	mustRejectFast(t, negSendLongTypeKey, wire.ErrMalformed, "canonical")
}

func TestFastDeliverFloatSentAt(t *testing.T) {
	mustRejectFast(t, negDeliverFloat, wire.ErrMalformed, "cannot unmarshal")
}

func TestFastDeliverNegativeSentAt(t *testing.T) {
	mustRejectFast(t, negDeliverNegative, wire.ErrMalformed, "cannot unmarshal")
}

func TestFastDeliverNonCanonicalSentAt(t *testing.T) {
	mustRejectFast(t, negDeliverLongInt, wire.ErrMalformed, "canonical")
}

func TestFastDeliverTruncated(t *testing.T) {
	mustRejectFast(t, negDeliverTruncated, wire.ErrMalformed, "EOF")
}

func TestFastAckShortID(t *testing.T) {
	mustRejectFast(t, negAckShortID, wire.ErrInvalid, "id is 15 bytes")
}

func TestFastAckIDAsTextString(t *testing.T) {
	mustRejectFast(t, negAckTextID, wire.ErrMalformed, "")
}

func TestFastAcceptedReqAfterPayload(t *testing.T) {
	mustRejectFast(t, negAcceptedReqLast, wire.ErrMalformed, "canonical")
}

func TestFastPingNonCanonicalReq(t *testing.T) {
	mustRejectFast(t, negPingLongReq, wire.ErrMalformed, "canonical")
}

func TestFastPingSimpleValueN(t *testing.T) {
	mustRejectFast(t, negPingBoolN, wire.ErrMalformed, "cannot unmarshal")
}

func TestFastPongIndefiniteMap(t *testing.T) {
	mustRejectFast(t, negPongIndefMap, wire.ErrMalformed, "indefinite-length")
}
