package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/securep2p/securep2p/wire"
)

const relaySubsystem = "relay"

// Label values. Each label has exactly these values; nothing user-derived.
const (
	ResultOK       = "ok"
	ResultFailed   = "failed"   // wrong credentials
	ResultRejected = "rejected" // invalid request (bad username, password, key, taken name)
	ResultLimited  = "limited"  // refused by a rate limit
	ResultError    = "error"    // relay-side failure
	ResultTimeout  = "timeout"  // handshake did not finish in time

	MethodPassword = "password"
	MethodResume   = "resume"

	ScopeAccount    = "account"
	ScopeAddress    = "address"
	ScopeConnection = "connection" // connections per address
	ScopeSend       = "send"
	ScopeFetch      = "fetch"

	DirectionIn  = "in"
	DirectionOut = "out"

	RefusedUnknownUser = "unknown_user"
	RefusedKeyChanged  = "key_changed"
	RefusedFull        = "mailbox_full"
	RefusedLimited     = "rate_limited"
	RefusedError       = "error"

	DropQueueFull = "queue_full" // a reply could not be queued to a full writer
	DropClosed    = "closed"     // the connection closed before the frame was written

	BadFrame      = "bad_frame"   // malformed, oversized or undecodable frame
	BadUnexpected = "unexpected"  // a frame type the relay never accepts from a client
	BadHandshake  = "handshake"   // hop handshake failed (includes garbage before it)
	BadTimeout    = "timeout"     // handshake did not finish in time
	BadKey        = "invalid_key" // a public key that does not parse
	BadStream     = "stream"      // wrong stream usage (second stream, no stream)
)

// Relay is the relay's metric set. Create it with [NewRelay].
type Relay struct {
	Connections         prometheus.Gauge
	ConnectionsTotal    prometheus.Counter
	Handshakes          *prometheus.CounterVec // result: ok|failed|timeout... see Handshake* values
	ConnectionsProtocol *prometheus.GaugeVec   // version: the hop protocol version negotiated (wire.MinProtocolVersion..wire.ProtocolVersion)
	Registrations       *prometheus.CounterVec // result
	Logins              *prometheus.CounterVec // method, result
	RateLimited         *prometheus.CounterVec // scope
	BadInput            *prometheus.CounterVec // reason
	MessagesAccepted    prometheus.Counter
	MessagesDuplicate   prometheus.Counter
	MessagesRefused     *prometheus.CounterVec // reason: unknown_user|key_changed|mailbox_full|error
	MessagesDelivered   prometheus.Counter
	MessagesAcked       prometheus.Counter
	MessagesExpired     prometheus.Counter
	MessageBytes        *prometheus.CounterVec // direction
	MailboxMessages     prometheus.Gauge
	MailboxBytes        prometheus.Gauge
	DeliveryLatency     prometheus.Histogram
	StoreCommitLatency  prometheus.Histogram
	StoreCommitOps      prometheus.Histogram
	QueueDrops          *prometheus.CounterVec // reason
	BundlesFetched      prometheus.Counter
	PasswordHashSeconds prometheus.Histogram
}

// NewRelay creates the relay metric set and registers it on reg.
func NewRelay(reg prometheus.Registerer) *Relay {
	m := newRelay()
	m.initLabels()
	reg.MustRegister(m.collectors()...)
	return m
}

func counter(name, help string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Subsystem: relaySubsystem, Name: name, Help: help})
}

func counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: relaySubsystem, Name: name, Help: help}, labels)
}

func gauge(name, help string) prometheus.Gauge {
	return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Subsystem: relaySubsystem, Name: name, Help: help})
}

func gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Subsystem: relaySubsystem, Name: name, Help: help}, labels)
}

// ProtocolLabel is the version label value of a negotiated protocol
// version (one of wire.MinProtocolVersion..wire.ProtocolVersion: a handful
// of values, none user-chosen).
func ProtocolLabel(v uint64) string { return strconv.FormatUint(v, 10) }

func histogram(name, help string, buckets []float64) prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: relaySubsystem, Name: name, Help: help, Buckets: buckets})
}

func newRelay() *Relay {
	return &Relay{
		Connections:         gauge("connections", "Open client connections."),
		ConnectionsTotal:    counter("connections_total", "Client connections accepted since start."),
		Handshakes:          counterVec("handshakes_total", "Hop handshakes by result (ok, failed, timeout).", "result"),
		ConnectionsProtocol: gaugeVec("connections_by_protocol", "Open connections past the hop handshake, by the protocol version negotiated.", "version"),
		Registrations:       counterVec("registrations_total", "Account registrations by result.", "result"),
		Logins:              counterVec("logins_total", "Logins by method (password, resume) and result.", "method", "result"),
		RateLimited:         counterVec("rate_limited_total", "Requests refused by a rate limit, by scope.", "scope"),
		BadInput:            counterVec("bad_input_total", "Connections or frames refused as bad input, by reason.", "reason"),
		MessagesAccepted:    counter("messages_accepted_total", "Envelopes durably stored and acknowledged to the sender."),
		MessagesDuplicate:   counter("messages_duplicate_total", "Re-sent envelopes recognised by id and not stored again."),
		MessagesRefused:     counterVec("messages_refused_total", "Envelopes refused, by reason.", "reason"),
		MessagesDelivered:   counter("messages_delivered_total", "Deliver frames written to recipients (re-deliveries included)."),
		MessagesAcked:       counter("messages_acked_total", "Envelopes acknowledged by their recipient and deleted."),
		MessagesExpired:     counter("messages_expired_total", "Envelopes deleted unacknowledged because their TTL ran out."),
		MessageBytes:        counterVec("message_bytes_total", "End-to-end envelope body bytes, in (accepted) and out (delivered).", "direction"),
		MailboxMessages:     gauge("mailbox_messages", "Envelopes waiting in all mailboxes."),
		MailboxBytes:        gauge("mailbox_bytes", "Body bytes waiting in all mailboxes."),
		DeliveryLatency:     histogram("delivery_latency_seconds", "Time from acceptance of an envelope to its recipient's ack.", prometheus.ExponentialBuckets(0.001, 4, 12)),
		StoreCommitLatency:  histogram("store_commit_latency_seconds", "Duration of one group commit (write and fsync).", prometheus.ExponentialBuckets(0.0001, 2, 16)),
		StoreCommitOps:      histogram("store_commit_operations", "Operations per group commit.", prometheus.ExponentialBuckets(1, 2, 11)),
		QueueDrops:          counterVec("queue_drops_total", "Frames not queued or not written, by reason (the envelope stays in the mailbox).", "reason"),
		BundlesFetched:      counter("bundles_fetched_total", "Key bundles handed out."),
		PasswordHashSeconds: histogram("password_hash_seconds", "Duration of one Argon2id hash, including the wait for a hashing slot.", prometheus.ExponentialBuckets(0.01, 2, 10)),
	}
}

func (m *Relay) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.Connections, m.ConnectionsTotal, m.Handshakes, m.ConnectionsProtocol, m.Registrations,
		m.Logins, m.RateLimited, m.BadInput, m.MessagesAccepted, m.MessagesDuplicate, m.MessagesRefused,
		m.MessagesDelivered, m.MessagesAcked, m.MessagesExpired, m.MessageBytes, m.MailboxMessages,
		m.MailboxBytes, m.DeliveryLatency, m.StoreCommitLatency, m.StoreCommitOps, m.QueueDrops,
		m.BundlesFetched, m.PasswordHashSeconds}
}

// initLabels creates every series at zero so that dashboards, alerts and
// rate() see them before the first event.
func (m *Relay) initLabels() {
	for _, r := range []string{ResultOK, ResultFailed, ResultTimeout} {
		m.Handshakes.WithLabelValues(r)
	}
	for v := uint64(wire.MinProtocolVersion); v <= wire.ProtocolVersion; v++ {
		m.ConnectionsProtocol.WithLabelValues(ProtocolLabel(v))
	}
	for _, r := range []string{ResultOK, ResultRejected, ResultLimited, ResultError} {
		m.Registrations.WithLabelValues(r)
	}
	for _, method := range []string{MethodPassword, MethodResume} {
		for _, r := range []string{ResultOK, ResultFailed, ResultRejected, ResultLimited, ResultError} {
			m.Logins.WithLabelValues(method, r)
		}
	}
	for _, s := range []string{ScopeAccount, ScopeAddress, ScopeConnection, ScopeSend, ScopeFetch} {
		m.RateLimited.WithLabelValues(s)
	}
	for _, r := range []string{BadFrame, BadUnexpected, BadHandshake, BadTimeout, BadKey, BadStream} {
		m.BadInput.WithLabelValues(r)
	}
	for _, r := range []string{RefusedUnknownUser, RefusedKeyChanged, RefusedFull, RefusedLimited, RefusedError} {
		m.MessagesRefused.WithLabelValues(r)
	}
	for _, d := range []string{DirectionIn, DirectionOut} {
		m.MessageBytes.WithLabelValues(d)
	}
	for _, r := range []string{DropQueueFull, DropClosed} {
		m.QueueDrops.WithLabelValues(r)
	}
}
