package loadgen

import (
	"fmt"
	"io"
	"math"
	"time"
)

// Result is the JSON object `p2pd bench` prints. Fields that do not apply
// to the workload are omitted; relay_* resource fields appear only when
// the run started its own relay.
type Result struct {
	Workload string  `json:"workload"`
	Pairs    int     `json:"pairs,omitempty"`
	Rounds   int     `json:"rounds,omitempty"`
	Size     int     `json:"size,omitempty"`
	Senders  int     `json:"senders_per_pair,omitempty"`
	Rate     float64 `json:"rate,omitempty"`
	Duration string  `json:"duration,omitempty"` // open loop: the --duration asked for
	FanIn    int     `json:"fan_in,omitempty"`
	Idle     int     `json:"idle,omitempty"`
	Connect  int     `json:"connect,omitempty"`
	Users    int     `json:"users"`
	Conns    int     `json:"conns"`
	Relay    string  `json:"relay"` // the --relay list
	Started  bool    `json:"relay_started"`
	// SharedSocket and GCPercent are the client-side settings of the run
	// (--shared-socket, --gc-percent).
	SharedSocket bool `json:"shared_socket"`
	GCPercent    int  `json:"gc_percent"`
	// RelayNodes and ConnsPerNode appear only with several --relay
	// addresses: connections opened (setup included) to each node, in
	// --relay order.
	RelayNodes   int     `json:"relay_nodes,omitempty"`
	ConnsPerNode []int64 `json:"conns_per_node,omitempty"`

	// Msgs counts every end-to-end message decrypted by its recipient in
	// the measured phase: each ping and each echo is one.
	Msgs     int64   `json:"msgs"`
	MsgsPerS float64 `json:"msgs_per_s"`
	// RTT: send of a ping to decryption of its echo (messages); dial to
	// Welcome (connect).
	RTTP50  float64 `json:"rtt_p50_ms"`
	RTTP90  float64 `json:"rtt_p90_ms"`
	RTTP99  float64 `json:"rtt_p99_ms"`
	RTTMax  float64 `json:"rtt_max_ms"`
	Samples int     `json:"rtt_samples"`

	ConnectsPerS      float64 `json:"connects_per_s,omitempty"`
	HeldConns         int     `json:"held_conns,omitempty"`
	RSSPerConnB       int64   `json:"relay_rss_per_conn_bytes,omitempty"`       // idle: RSS at the end of the hold / connections
	RSSPerExtraConnB  int64   `json:"relay_rss_per_extra_conn_bytes,omitempty"` // idle: (RSS at the end of the hold - before) / connections beyond --idle-users
	RelayRSSHoldB     int64   `json:"relay_rss_at_hold_bytes,omitempty"`        // idle: RSS at the end of the hold, every connection open
	RelayRSSBaseB     int64   `json:"relay_rss_before_bytes,omitempty"`         // idle: before the connections beyond --idle-users
	ClientCPUS        float64 `json:"client_cpu_s,omitempty"`                   // this process (all simulated users), measured phase
	RelayCPUS         float64 `json:"relay_cpu_s,omitempty"`                    // measured phase only
	RelayCPUTotal     float64 `json:"relay_cpu_total_s,omitempty"`              // whole run, setup included
	RelayRSSBytes     int64   `json:"relay_rss_bytes,omitempty"`                // when started here: at the end of the run (idle: after the connections closed)
	RelayPeakRSSBytes int64   `json:"relay_peak_rss_bytes,omitempty"`
	// QUIC packets of all simulated users in the measured phase, per
	// message (messages workloads): less noisy than CPU on a shared box.
	PktsSentPerMsg float64 `json:"client_pkts_sent_per_msg,omitempty"`
	PktsRecvPerMsg float64 `json:"client_pkts_recv_per_msg,omitempty"`
	// PktsLost is the QUIC packets the users declared lost in the
	// measured phase (all of them, not per message).
	PktsLost int64 `json:"client_pkts_lost"`

	Errors    int64   `json:"errors"`
	Timeouts  int64   `json:"timeouts"`
	SetupS    float64 `json:"setup_s"`
	DurationS float64 `json:"duration_s"`
	FirstErr  string  `json:"first_error,omitempty"`
}

func (o *options) result(rl *relayHandle) *Result {
	r := &Result{Workload: o.workload, Relay: rl.addrList(), Started: rl.pid() != 0,
		SharedSocket: o.sharedSocket, GCPercent: o.gcPercent}
	switch o.workload {
	case workloadPingPong, workloadRate:
		r.Pairs, r.Size, r.Senders = o.pairs, o.size, o.senders
	case workloadFanIn:
		r.FanIn, r.Size = o.fanIn, o.size
	case workloadIdle:
		r.Idle = o.idle
	case workloadConnect:
		r.Connect = o.connect
	}
	switch o.workload {
	case workloadPingPong, workloadFanIn:
		r.Rounds = o.rounds
	case workloadRate:
		r.Rate, r.Duration = o.rate, o.duration.String()
	}
	return r
}

// setLatency fills the RTT fields from samples (sorted in place).
func (r *Result) setLatency(samples []time.Duration) {
	sortDurations(samples)
	r.Samples = len(samples)
	r.RTTP50 = ms(percentile(samples, 50))
	r.RTTP90 = ms(percentile(samples, 90))
	r.RTTP99 = ms(percentile(samples, 99))
	r.RTTMax = ms(percentile(samples, 100))
}

func ms(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// summary writes the human-readable lines.
func (r *Result) summary(w io.Writer) {
	fmt.Fprintf(w, "%s: %d users, %d connections, relay %s (started here: %v)\n", r.Workload, r.Users, r.Conns, r.Relay, r.Started)
	if r.RelayNodes > 1 {
		fmt.Fprintf(w, "  %d relay nodes, connections per node %v\n", r.RelayNodes, r.ConnsPerNode)
	}
	fmt.Fprintf(w, "  setup %.2fs, measured %.2fs\n", r.SetupS, r.DurationS)
	if r.Msgs > 0 {
		fmt.Fprintf(w, "  %d messages, %.0f msg/s\n", r.Msgs, r.MsgsPerS)
	}
	if r.ConnectsPerS > 0 {
		fmt.Fprintf(w, "  %.0f connects/s\n", r.ConnectsPerS)
	}
	if r.Samples > 0 {
		fmt.Fprintf(w, "  round trip ms: p50 %.3f  p90 %.3f  p99 %.3f  max %.3f  (%d samples)\n",
			r.RTTP50, r.RTTP90, r.RTTP99, r.RTTMax, r.Samples)
	}
	if r.HeldConns > 0 {
		fmt.Fprintf(w, "  held %d connections; relay RSS %.1f MiB, %.1f KiB per connection",
			r.HeldConns, float64(r.RelayRSSHoldB)/(1<<20), float64(r.RSSPerConnB)/1024)
		if r.RSSPerExtraConnB > 0 {
			fmt.Fprintf(w, ", %.1f KiB per connection beyond the accounts' own", float64(r.RSSPerExtraConnB)/1024)
		}
		fmt.Fprintln(w)
	}
	if r.ClientCPUS > 0 {
		fmt.Fprintf(w, "  load generator CPU %.2fs measured\n", r.ClientCPUS)
	}
	if r.Started {
		fmt.Fprintf(w, "  relay CPU %.2fs measured (%.2fs total), peak RSS %.1f MiB\n",
			r.RelayCPUS, r.RelayCPUTotal, float64(r.RelayPeakRSSBytes)/(1<<20))
	}
	fmt.Fprintf(w, "  errors %d, timeouts %d\n", r.Errors, r.Timeouts)
	if r.FirstErr != "" {
		fmt.Fprintf(w, "  first error: %s\n", r.FirstErr)
	}
}
