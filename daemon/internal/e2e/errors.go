package e2e

import "errors"

// Errors. They never carry key material or plaintext; callers classify them
// with errors.Is.
var (
	// ErrMalformed: an envelope, content, session or key blob does not parse
	// or breaks a limit.
	ErrMalformed = errors.New("e2e: malformed input")
	// ErrAuth: the MAC does not verify (tampered, misaddressed, relabelled,
	// or not for this session). Nothing was decrypted; no state changed.
	ErrAuth = errors.New("e2e: message authentication failed")
	// ErrDuplicate: the message was already decrypted, or its key was
	// evicted from the bounded skipped-key store or its chain abandoned
	// (reported, never silent).
	ErrDuplicate = errors.New("e2e: duplicate or expired message")
	// ErrTooFarAhead: the message would skip more than MaxSkip keys in its
	// own chain; rejected before any key is derived, no state changed. (A
	// previous chain more than MaxSkip behind is abandoned, not refused.)
	ErrTooFarAhead = errors.New("e2e: message too far ahead")
	// ErrBadBundle: a bundle's keys or signed-prekey signature are invalid.
	ErrBadBundle = errors.New("e2e: invalid key bundle")
	// ErrUnknownPrekey: a prekey message names a signed or one-time prekey
	// this side does not hold (already consumed, or never issued).
	ErrUnknownPrekey = errors.New("e2e: unknown prekey")
	// ErrNotPrekeyMessage: Respond was given an ordinary ratchet message.
	ErrNotPrekeyMessage = errors.New("e2e: not a prekey message")
	// ErrOtherSession: a prekey message that starts a different session than
	// this one (the peer re-initiated): use Respond for it.
	ErrOtherSession = errors.New("e2e: prekey message for another session")
	// ErrBadName: a username is not in normalised form (wire.NormalizeUsername).
	ErrBadName = errors.New("e2e: username not normalised")
	// ErrTooLarge: plaintext or content exceeds its limit.
	ErrTooLarge = errors.New("e2e: too large")
	// ErrPrekeyPool: the one-time prekey pool is full or IDs are exhausted.
	ErrPrekeyPool = errors.New("e2e: one-time prekey pool limit")
)
