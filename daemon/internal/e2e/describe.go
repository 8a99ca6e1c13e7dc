package e2e

import (
	"encoding/hex"
	"fmt"

	"github.com/securep2p/securep2p/wire/secp"
)

// Description lists an envelope's public values for `p2pctl inspect`. It
// holds nothing secret: no private, root, chain or message key, and no
// plaintext (everything in it is visible to the relay anyway).
type Description struct {
	Version         int    `json:"version"`
	Cipher          string `json:"cipher"`
	PrekeyMessage   bool   `json:"prekey_message"`
	SenderIdentity  string `json:"sender_identity_key,omitempty"` // hex, prekey messages only
	SenderIdentityF string `json:"sender_identity_fingerprint,omitempty"`
	BaseKey         string `json:"base_key,omitempty"`
	SignedPrekeyID  uint32 `json:"signed_prekey_id,omitempty"`
	OneTimePrekeyID uint32 `json:"one_time_prekey_id,omitempty"`
	RatchetKey      string `json:"ratchet_key"`
	RatchetKeyF     string `json:"ratchet_key_fingerprint"`
	Counter         uint32 `json:"counter"`
	PreviousCounter uint32 `json:"previous_counter"`
	CiphertextSize  int    `json:"ciphertext_size"`
	CiphertextHex   string `json:"ciphertext_hex"`
	MACSize         int    `json:"mac_size"`
	MACHex          string `json:"mac_hex"`
	EnvelopeSize    int    `json:"envelope_size"`
}

// Describe parses an envelope (without decrypting it) and lists its public
// values.
func Describe(envelope []byte) (Description, error) {
	p, ratchet, err := parseEnvelopeFull(envelope)
	if err != nil {
		return Description{}, err
	}
	d := Description{
		Version: int(p.env.Version), Cipher: "AES-256-CTR + HMAC-SHA-256 (double ratchet, secp256k1)",
		RatchetKey: ratchet.String(), RatchetKeyF: ratchet.Fingerprint(),
		Counter: p.env.N, PreviousCounter: p.env.PN,
		CiphertextSize: len(p.env.Ciphertext), CiphertextHex: hex.EncodeToString(p.env.Ciphertext),
		MACSize: len(p.env.MAC), MACHex: hex.EncodeToString(p.env.MAC), EnvelopeSize: len(envelope),
	}
	if pk := p.env.Prekey; pk != nil {
		d.PrekeyMessage = true
		d.SenderIdentity, d.SenderIdentityF = p.identity.String(), p.identity.Fingerprint()
		d.BaseKey = p.baseKey.String()
		d.SignedPrekeyID, d.OneTimePrekeyID = pk.SignedPrekeyID, pk.OneTimeID
	}
	return d, nil
}

// AssociatedData reconstructs, from public values only, the bytes an
// envelope's MAC covers besides its ciphertext: the associated data
// (version, both identity keys, both usernames) followed by the binary
// header (wire/PROTOCOL.md §3.5):
//
//	u8 1 || IK_sender || IK_recipient || u8 len || sender || u8 len || recipient || header
//
// so that MAC = HMAC(HMAC key, AssociatedData(...) || ciphertext). Names
// must be normalised. For a prekey message senderKey must be the identity
// key the envelope carries (else ErrOtherSession). It uses and reveals no
// secret; whether the MAC verifies over it is not checked (that needs the
// message key).
func AssociatedData(envelope []byte, senderName string, senderKey secp.PublicKey, recipientName string, recipientKey secp.PublicKey) ([]byte, error) {
	if checkName(senderName) != nil || checkName(recipientName) != nil {
		return nil, ErrBadName
	}
	if senderKey.IsZero() || recipientKey.IsZero() {
		return nil, fmt.Errorf("%w: missing identity key", ErrMalformed)
	}
	p, err := parseEnvelope(envelope)
	if err != nil {
		return nil, err
	}
	if p.env.Prekey != nil && p.identity != senderKey {
		return nil, ErrOtherSession
	}
	ad := associatedData(senderKey, recipientKey, senderName, recipientName)
	return appendHeader(ad, &p.env), nil
}
