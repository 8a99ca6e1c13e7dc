package store

// Meta keys.
const (
	MetaIdentity = "identity" // e2e identity private state
	MetaPrekeys  = "prekeys"  // e2e prekey private state
	MetaRelayPin = "relay_pin"
	metaAccount  = "account"
)

// Meta returns a copy of the raw value under key, or nil.
func (t *Tx) Meta(key string) []byte { return clone(t.b(bMeta).Get([]byte(key))) }

// PutMeta stores a raw value under key.
func (t *Tx) PutMeta(key string, v []byte) error { return t.b(bMeta).Put([]byte(key), v) }

// Account returns the stored account (zero when none).
func (t *Tx) Account() (Account, error) {
	var a Account
	_, err := getJSON(t.b(bMeta), []byte(metaAccount), &a)
	return a, err
}

// PutAccount stores the account.
func (t *Tx) PutAccount(a Account) error { return putJSON(t.b(bMeta), []byte(metaAccount), a) }

// Session returns a copy of the serialised session with peer, or nil.
func (t *Tx) Session(peer string) []byte { return clone(t.b(bSessions).Get([]byte(peer))) }

// PutSession stores the serialised session with peer.
func (t *Tx) PutSession(peer string, s []byte) error { return t.b(bSessions).Put([]byte(peer), s) }

// DeleteSession forgets the session with peer.
func (t *Tx) DeleteSession(peer string) error { return t.b(bSessions).Delete([]byte(peer)) }
