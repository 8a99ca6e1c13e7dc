package relay

import (
	"github.com/securep2p/securep2p/metrics"
	"github.com/securep2p/securep2p/relay/store"
	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/secp"
)

// send queues the envelope for a group commit; the answer (Accepted or
// Error{ID}) is queued from the commit callback once it is durable.
func (ss *session) send(m *wire.Send) {
	if !ss.sendLim.take(ss.s.now(), ss.s.cfg.SendRate, float64(ss.s.cfg.SendBurst)) {
		ss.s.m.RateLimited.WithLabelValues(metrics.ScopeSend).Inc()
		ss.s.m.MessagesRefused.WithLabelValues(metrics.RefusedLimited).Inc()
		ss.reply(sendError(m.ID, wire.CodeRateLimited))
		return
	}
	to, ok := wire.NormalizeUsername(m.To)
	if !ok {
		ss.s.m.MessagesRefused.WithLabelValues(metrics.RefusedUnknownUser).Inc()
		ss.reply(sendError(m.ID, wire.CodeUnknownUser))
		return
	}
	if !ss.keys.valid(m.IdentityKey) {
		ss.s.m.BadInput.WithLabelValues(metrics.BadKey).Inc()
		ss.reply(sendError(m.ID, wire.CodeBadKey))
		return
	}
	now := ss.s.now()
	e := store.Envelope{To: to, From: ss.username(), Body: m.Body, SentAt: now, ExpiresAt: now.Add(ss.s.cfg.MailboxTTL)}
	copy(e.ID[:], m.ID)
	n := tokensFor(m.Body)
	if !ss.takeTokens(n) {
		return
	}
	// The callback keeps copies of what sent needs (one allocation, not the
	// envelope as well).
	s := sentEnv{to: e.To, id: e.ID, size: len(e.Body)}
	ss.s.store.Append(e, m.IdentityKey, func(res store.AppendResult, err error) { ss.sent(s, n, res, err) })
}

// sentEnv is what the answer to a Send needs of its envelope.
type sentEnv struct {
	to   string
	id   store.ID
	size int // body bytes
}

// sent runs on the store's commit goroutine: it must not block.
func (ss *session) sent(e sentEnv, tokens int, res store.AppendResult, err error) {
	m := ss.s.m
	var code wire.Code
	switch {
	case err != nil:
		ss.s.cfg.Logger.Error("relay: store envelope", "err", err)
		m.MessagesRefused.WithLabelValues(metrics.RefusedError).Inc()
		code = wire.CodeInternal
		ss.s.resolved(e.to, e.id)
	case res.Status == store.Stored:
		m.MessagesAccepted.Inc()
		ss.s.bytesIn.Add(float64(e.size))
		ss.s.updateMailboxGauges()
		ss.s.resolved(e.to, e.id) // before the wake: a pushed one no longer holds back the reader (pushed.go)
		ss.s.cfg.Router.Notify(e.to)
	case res.Status == store.Acked:
		m.MessagesAccepted.Inc()
		ss.s.bytesIn.Add(float64(e.size))
		ss.s.resolved(e.to, e.id)
	case res.Status == store.Duplicate:
		// The original may be stored without its Notify (its Accepted was
		// lost with a node or connection): wake the recipient again.
		m.MessagesDuplicate.Inc()
		ss.s.cfg.Router.Notify(e.to)
	case res.Status == store.UnknownUser:
		m.MessagesRefused.WithLabelValues(metrics.RefusedUnknownUser).Inc()
		code = wire.CodeUnknownUser
	case res.Status == store.KeyChanged:
		m.MessagesRefused.WithLabelValues(metrics.RefusedKeyChanged).Inc()
		code = wire.CodeKeyChanged
	default:
		m.MessagesRefused.WithLabelValues(metrics.RefusedFull).Inc()
		code = wire.CodeMailboxFull
	}
	ss.answerSend(answer{id: e.id, code: code, tokens: tokens})
}

// ack deletes the envelopes the recipient has stored: ID, then each id of
// More (version 2; dispatch refused More on version 1), each as a single
// Ack would. Its callback is made once per session (not per Ack).
func (ss *session) ack(a *wire.Ack) {
	if ss.ackDone == nil {
		ss.ackDone = ss.s.acked
	}
	user := ss.username()
	ss.ackID(user, a.ID)
	for _, id := range a.More {
		ss.ackID(user, id)
	}
}

func (ss *session) ackID(user string, b []byte) {
	var id store.ID
	copy(id[:], b)
	ss.s.store.Ack(user, id, ss.ackDone)
}

// acked counts an Ack that removed an envelope (store goroutines).
func (s *Server) acked(res store.AckResult, err error) {
	if err != nil || !res.Removed {
		return
	}
	s.m.MessagesAcked.Inc()
	s.m.DeliveryLatency.Observe(s.now().Sub(res.SentAt).Seconds())
	s.updateMailboxGauges()
}

// keyCache remembers the last identity keys that parsed, so that a stream
// of Sends to the same recipients does not decompress the same point again.
type keyCache struct {
	keys [4][wire.KeySize]byte
	n    int // entries in use
	next int // entry to replace
}

// valid reports whether k is a valid public key (secp.ParsePublicKey).
func (c *keyCache) valid(k []byte) bool {
	if len(k) != wire.KeySize {
		return false
	}
	for i := range c.n {
		if string(c.keys[i][:]) == string(k) {
			return true
		}
	}
	if _, err := secp.ParsePublicKey(k); err != nil {
		return false
	}
	copy(c.keys[c.next][:], k)
	c.next = (c.next + 1) % len(c.keys)
	if c.n < len(c.keys) {
		c.n++
	}
	return true
}
