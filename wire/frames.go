package wire

// Type names the payload a [Frame] carries. The number is also the CBOR map
// key of that payload inside the frame.
type Type uint8

// Frame types. Requests carry a Req number chosen by the client; the relay
// echoes it in the response (Welcome, OK, PrekeyCount, Bundle or Error).
// Send/Accepted and Deliver/Ack correlate by message id instead.
const (
	TypeClientHello   Type = 1  // *ClientHello   client -> relay, cleartext, first frame
	TypeServerHello   Type = 2  // *ServerHello   relay -> client, cleartext, reply
	TypeRegister      Type = 10 // *Register      client -> relay: create account, bind identity key
	TypeLogin         Type = 11 // *Login         client -> relay: password login, (re)binds identity key
	TypeResume        Type = 12 // *Resume        client -> relay: key-based login (signed challenge)
	TypeLogout        Type = 13 // *Logout        client -> relay: unbind this connection's session
	TypeWelcome       Type = 14 // *Welcome       relay -> client: authenticated
	TypeOK            Type = 15 // *OK            relay -> client: generic success
	TypeUploadPrekeys Type = 20 // *UploadPrekeys client -> relay: signed and/or one-time prekeys
	TypePrekeyCount   Type = 21 // *PrekeyCount   relay -> client: one-time prekeys left
	TypeFetchBundle   Type = 22 // *FetchBundle   client -> relay: ask for a user's bundle
	TypeBundle        Type = 23 // *Bundle        relay -> client: the bundle, one OPK consumed
	TypeSend          Type = 30 // *Send          client -> relay: an end-to-end envelope
	TypeAccepted      Type = 31 // *Accepted      relay -> client: envelope durably stored or delivered
	TypeDeliver       Type = 32 // *Deliver       relay -> client: an envelope for this user
	TypeAck           Type = 33 // *Ack           client -> relay: envelope stored; relay deletes it
	TypeError         Type = 40 // *Error         either way: request failed, or fatal connection error
	TypePing          Type = 41 // *Ping          either way: keepalive
	TypePong          Type = 42 // *Pong          either way: reply to Ping
)

// Frame is the unit of the wire protocol: a CBOR map with an optional request
// number (key 0) and exactly one payload under its [Type] key.
type Frame struct {
	Req uint64 `cbor:"0,keyasint,omitempty"`

	ClientHello   *ClientHello   `cbor:"1,keyasint,omitempty"`
	ServerHello   *ServerHello   `cbor:"2,keyasint,omitempty"`
	Register      *Register      `cbor:"10,keyasint,omitempty"`
	Login         *Login         `cbor:"11,keyasint,omitempty"`
	Resume        *Resume        `cbor:"12,keyasint,omitempty"`
	Logout        *Logout        `cbor:"13,keyasint,omitempty"`
	Welcome       *Welcome       `cbor:"14,keyasint,omitempty"`
	OK            *OK            `cbor:"15,keyasint,omitempty"`
	UploadPrekeys *UploadPrekeys `cbor:"20,keyasint,omitempty"`
	PrekeyCount   *PrekeyCount   `cbor:"21,keyasint,omitempty"`
	FetchBundle   *FetchBundle   `cbor:"22,keyasint,omitempty"`
	Bundle        *Bundle        `cbor:"23,keyasint,omitempty"`
	Send          *Send          `cbor:"30,keyasint,omitempty"`
	Accepted      *Accepted      `cbor:"31,keyasint,omitempty"`
	Deliver       *Deliver       `cbor:"32,keyasint,omitempty"`
	Ack           *Ack           `cbor:"33,keyasint,omitempty"`
	Error         *Error         `cbor:"40,keyasint,omitempty"`
	Ping          *Ping          `cbor:"41,keyasint,omitempty"`
	Pong          *Pong          `cbor:"42,keyasint,omitempty"`
}

// ClientHello opens the hop handshake (see wire/hop).
type ClientHello struct {
	Version   uint64 `cbor:"1,keyasint"` // ProtocolVersion
	Ephemeral []byte `cbor:"2,keyasint"` // client ephemeral public key, 33 bytes
	Nonce     []byte `cbor:"3,keyasint"` // 32 random bytes
}

// ServerHello answers ClientHello. Signature is by RelayKey over the
// transcript (wire/PROTOCOL.md, "Hop handshake").
type ServerHello struct {
	Version   uint64 `cbor:"1,keyasint"` // ProtocolVersion
	Ephemeral []byte `cbor:"2,keyasint"` // relay ephemeral public key, 33 bytes
	RelayKey  []byte `cbor:"3,keyasint"` // relay long-term public key, 33 bytes
	Challenge []byte `cbor:"4,keyasint"` // 32 random bytes for key-based resume
	Signature []byte `cbor:"5,keyasint"` // 64 bytes r||s
}

// Prekey is a one-time prekey.
type Prekey struct {
	ID  uint32 `cbor:"1,keyasint"`
	Key []byte `cbor:"2,keyasint"` // 33 bytes
}

// SignedPrekey is a medium-term prekey signed by the identity key.
type SignedPrekey struct {
	ID        uint32 `cbor:"1,keyasint"`
	Key       []byte `cbor:"2,keyasint"` // 33 bytes
	Signature []byte `cbor:"3,keyasint"` // 64 bytes, by the identity key
}

// Register creates an account and binds the daemon's identity key and
// initial prekeys to it.
type Register struct {
	Username     string       `cbor:"1,keyasint"`
	Password     string       `cbor:"2,keyasint"`
	IdentityKey  []byte       `cbor:"3,keyasint"` // 33 bytes
	SignedPrekey SignedPrekey `cbor:"4,keyasint"`
	OneTime      []Prekey     `cbor:"5,keyasint,omitempty"`
}

// Login authenticates with a password and binds IdentityKey. When the key
// differs from the bound one it is a key change: the daemon must send a new
// SignedPrekey (and one-time prekeys) with it, and the old prekeys are dropped.
type Login struct {
	Username     string        `cbor:"1,keyasint"`
	Password     string        `cbor:"2,keyasint"`
	IdentityKey  []byte        `cbor:"3,keyasint"`           // 33 bytes
	SignedPrekey *SignedPrekey `cbor:"4,keyasint,omitempty"` // required on a key change
	OneTime      []Prekey      `cbor:"5,keyasint,omitempty"`
}

// Resume authenticates with the bound identity key: Signature is over
// the label "securep2p/v1/resume" and the hop session id (which covers the
// relay's Challenge), see wire/PROTOCOL.md.
type Resume struct {
	Username  string `cbor:"1,keyasint"`
	Signature []byte `cbor:"2,keyasint"` // 64 bytes
}

// Logout ends the authenticated session on this connection.
type Logout struct{}

// Welcome confirms Register, Login or Resume.
type Welcome struct {
	Username   string `cbor:"1,keyasint"` // normalised
	Remaining  uint32 `cbor:"2,keyasint"` // one-time prekeys left at the relay
	KeyChanged bool   `cbor:"3,keyasint,omitempty"`
}

// OK is a generic success for requests without a result (Logout).
type OK struct{}

// UploadPrekeys adds one-time prekeys and/or replaces the signed prekey.
type UploadPrekeys struct {
	SignedPrekey *SignedPrekey `cbor:"1,keyasint,omitempty"`
	OneTime      []Prekey      `cbor:"2,keyasint,omitempty"`
}

// PrekeyCount answers UploadPrekeys.
type PrekeyCount struct {
	Remaining uint32 `cbor:"1,keyasint"`
}

// FetchBundle asks for a user's key bundle.
type FetchBundle struct {
	Username string `cbor:"1,keyasint"`
}

// Bundle is a user's published keys. OneTime is nil when the pool is empty;
// otherwise that prekey has been removed from the relay atomically.
type Bundle struct {
	Username     string       `cbor:"1,keyasint"`
	IdentityKey  []byte       `cbor:"2,keyasint"`
	SignedPrekey SignedPrekey `cbor:"3,keyasint"`
	OneTime      *Prekey      `cbor:"4,keyasint,omitempty"`
}

// Send hands the relay an end-to-end envelope for To. Idempotent by ID.
// IdentityKey is the recipient identity key the sender encrypted for; when
// it is not the key currently bound to To, the relay refuses the envelope
// with CodeKeyChanged so the sender re-fetches the bundle and notices the
// change instead of sending into a session nobody can read.
type Send struct {
	ID          []byte `cbor:"1,keyasint"` // 16 random bytes
	To          string `cbor:"2,keyasint"`
	Body        []byte `cbor:"3,keyasint"` // opaque end-to-end envelope
	IdentityKey []byte `cbor:"4,keyasint"` // 33 bytes: the recipient key the sender expects
}

// Accepted tells the sender the relay durably holds (or delivered) ID,
// and each id in More (version 2 only; at most MaxBatchIDs-1, omitted
// when empty).
type Accepted struct {
	ID   []byte   `cbor:"1,keyasint"`
	More [][]byte `cbor:"2,keyasint,omitempty"`
}

// Deliver pushes an envelope to its recipient.
type Deliver struct {
	ID     []byte `cbor:"1,keyasint"`
	From   string `cbor:"2,keyasint"`
	Body   []byte `cbor:"3,keyasint"`
	SentAt uint64 `cbor:"4,keyasint"` // relay acceptance time, Unix milliseconds
}

// Ack tells the relay the recipient durably stored ID, and each id in More
// (version 2 only; at most MaxBatchIDs-1, omitted when empty); the relay
// deletes them.
type Ack struct {
	ID   []byte   `cbor:"1,keyasint"`
	More [][]byte `cbor:"2,keyasint,omitempty"`
}

// Error reports a failed request (Req set, or ID for a Send) or, with neither,
// a fatal connection error after which the sender closes the connection.
type Error struct {
	Code    Code   `cbor:"1,keyasint"`
	Message string `cbor:"2,keyasint,omitempty"` // human-readable, no secrets
	ID      []byte `cbor:"3,keyasint,omitempty"` // message id for Send errors
}

// Ping asks for a Pong with the same N.
type Ping struct {
	N uint64 `cbor:"1,keyasint"`
}

// Pong answers Ping.
type Pong struct {
	N uint64 `cbor:"1,keyasint"`
}
