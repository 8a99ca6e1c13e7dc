package e2e

import "encoding/hex"

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
