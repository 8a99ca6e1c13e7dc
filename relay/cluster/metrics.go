package cluster

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Operation labels of the round-trip histogram and error counter: a fixed
// set, never a username, key or address.
const (
	opKVGet      = "kv_get"
	opKVWrite    = "kv_write"
	opMsgGet     = "msg_get"
	opMsgDelete  = "msg_delete"
	opPublish    = "publish"
	opStreamInfo = "stream_info"
)

var allOps = []string{opKVGet, opKVWrite, opMsgGet, opMsgDelete, opPublish, opStreamInfo}

// nodeMetrics are the cluster metrics of one node.
type nodeMetrics struct {
	rtt        *prometheus.HistogramVec
	publishAck prometheus.Histogram
	errs       *prometheus.CounterVec
	notify     *prometheus.CounterVec
}

var latencyBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

func newMetrics(reg prometheus.Registerer) (*nodeMetrics, error) {
	m := &nodeMetrics{
		rtt: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "securep2p_relay_cluster_nats_roundtrip_seconds",
			Help:    "Round-trip time of NATS and JetStream requests (key-value reads and writes, stream reads and deletes), by operation.",
			Buckets: latencyBuckets}, []string{"op"}),
		publishAck: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "securep2p_relay_cluster_publish_ack_seconds",
			Help:    "Time from publishing an envelope to JetStream until its acknowledgement (replicated write).",
			Buckets: latencyBuckets}),
		errs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "securep2p_relay_cluster_errors_total",
			Help: "NATS and JetStream requests that failed (timeouts, lost connections, server errors), by operation."},
			[]string{"op"}),
		notify: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "securep2p_relay_cluster_notifications_total",
			Help: "New-mail notifications published to other nodes (out) and received from NATS (in)."},
			[]string{"direction"}),
	}
	for _, c := range []prometheus.Collector{m.rtt, m.publishAck, m.errs, m.notify} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("cluster: register metrics: %w", err)
		}
	}
	for _, op := range allOps {
		m.rtt.WithLabelValues(op)
		m.errs.WithLabelValues(op)
	}
	m.notify.WithLabelValues("in")
	m.notify.WithLabelValues("out")
	return m, nil
}

// roundTrip records one request that started at start; err counts as a
// failure unless it is an expected answer (not found, CAS conflict).
func (m *nodeMetrics) roundTrip(op string, start time.Time, err error) {
	m.rtt.WithLabelValues(op).Observe(time.Since(start).Seconds())
	if err != nil && !expectedErr(err) {
		m.errs.WithLabelValues(op).Inc()
	}
}
