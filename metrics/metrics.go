// Package metrics is SecureP2P's Prometheus plumbing: the relay's metric set
// ([Relay]), a registry with the Go and process collectors ([NewRegistry]),
// and the operations HTTP handler serving /metrics, /healthz and /readyz
// ([Handler], [Serve]). A Grafana dashboard (grafana-relay.json) and
// Prometheus alert rules (alerts-relay.yml) live beside the code; a test
// checks that every expression in them names a metric the relay exports.
//
// # What it promises
//
//   - Metrics are registered on an injected [prometheus.Registerer], never
//     on the global default registry.
//   - Every label has a small fixed value set (results, reasons, scopes).
//     No label ever carries a username, key, address or message id.
//   - Names follow the Prometheus conventions (namespace securep2p, subsystem
//     relay, _total/_seconds/_bytes suffixes) and pass promlint.
//
// # What it does not do
//
// It does not decide what to count: the relay calls the methods. A daemon
// metric set will sit beside [Relay] (subsystem "daemon") with its own
// constructor; the registry and HTTP plumbing are shared.
package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every SecureP2P metric.
const Namespace = "securep2p"

// NewRegistry returns a fresh registry holding the Go runtime and process
// collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves /metrics from g, /healthz (200 while the process runs) and
// /readyz (200 when ready reports true, else 503). ready nil means always
// ready.
func Handler(g prometheus.Gatherer, ready func() bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if ready != nil && !ready() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	return mux
}

// Serve serves h on ln until ctx is done, then shuts down gracefully
// (at most 5 seconds). It returns nil after a clean shutdown.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 16 << 10}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}
