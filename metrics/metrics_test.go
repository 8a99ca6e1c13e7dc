package metrics

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
)

func TestRelayMetricsLintClean(t *testing.T) {
	reg := NewRegistry()
	NewRelay(reg)
	problems, err := promlint.NewWithMetricFamilies(gather(t, reg)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

func gather(t *testing.T, g prometheus.Gatherer) []*dto.MetricFamily {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

// exported returns every series name the relay exports, with the
// _bucket/_sum/_count names of histograms.
func exported(t *testing.T) map[string]bool {
	reg := NewRegistry()
	NewRelay(reg)
	names := map[string]bool{"up": true}
	for _, mf := range gather(t, reg) {
		n := mf.GetName()
		names[n] = true
		for _, s := range []string{"_bucket", "_sum", "_count"} {
			names[n+s] = true
		}
	}
	return names
}

// Metric-looking identifiers in PromQL: every name with an underscore that
// is not a function, keyword or label.
var ident = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)

var promqlWords = map[string]bool{"sum": true, "by": true, "rate": true, "increase": true, "histogram_quantile": true,
	"absent": true, "or": true, "and": true, "le": true, "result": true, "scope": true, "reason": true,
	"direction": true, "method": true, "job": true, "up": true}

func metricNames(expr string) []string {
	expr = regexp.MustCompile(`\{[^}]*\}`).ReplaceAllString(expr, "")
	expr = regexp.MustCompile(`\[[^\]]*\]`).ReplaceAllString(expr, "")
	expr = regexp.MustCompile(`\((le|result|scope|reason|direction|method)(, *\w+)*\)`).ReplaceAllString(expr, "")
	var out []string
	for _, w := range ident.FindAllString(expr, -1) {
		if !promqlWords[w] && strings.Contains(w, "_") {
			out = append(out, w)
		}
	}
	return out
}

func checkExprs(t *testing.T, where string, exprs []string) {
	t.Helper()
	names := exported(t)
	if len(exprs) == 0 {
		t.Fatalf("%s: no expressions found", where)
	}
	for _, e := range exprs {
		found := metricNames(e)
		if len(found) == 0 && !strings.Contains(e, "up{") {
			t.Errorf("%s: expression names no metric: %s", where, e)
		}
		for _, n := range found {
			if strings.HasPrefix(n, clusterPrefix) {
				continue // registered by relay/cluster; its TestDashboardClusterMetricsExported checks them
			}
			if !names[n] {
				t.Errorf("%s: %q is not exported by the relay (in %s)", where, n, e)
			}
		}
	}
}

// clusterPrefix names the metrics relay/cluster registers (metrics must
// not import relay): relay/cluster checks the dashboard's expressions of
// these against its own registry.
const clusterPrefix = Namespace + "_relay_cluster_"

// dashboardExprs returns every panel expression of grafana-relay.json.
func dashboardExprs(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("grafana-relay.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	var exprs []string
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	return exprs
}

// TestDashboardSelectsNode: the dashboard has a node selector ($instance)
// and every metric in every panel expression is filtered by it.
func TestDashboardSelectsNode(t *testing.T) {
	raw, err := os.ReadFile("grafana-relay.json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"name": "instance"`) {
		t.Fatal("no instance template variable")
	}
	selector := regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?`)
	for _, e := range dashboardExprs(t) {
		metric := map[string]bool{}
		for _, n := range metricNames(e) {
			metric[n] = true
		}
		for _, m := range selector.FindAllStringSubmatch(e, -1) {
			if metric[m[1]] && !strings.Contains(m[2], `instance=~"$instance"`) {
				t.Errorf("%s is not filtered by $instance in %s", m[1], e)
			}
		}
	}
}

func TestDashboardNamesExportedMetrics(t *testing.T) {
	checkExprs(t, "grafana-relay.json", dashboardExprs(t))
}

func TestAlertRulesNameExportedMetrics(t *testing.T) {
	raw, err := os.ReadFile("alerts-relay.yml")
	if err != nil {
		t.Fatal(err)
	}
	var exprs []string
	for _, line := range strings.Split(string(raw), "\n") {
		if e, ok := strings.CutPrefix(strings.TrimSpace(line), "expr:"); ok {
			exprs = append(exprs, strings.TrimSpace(e))
		}
	}
	checkExprs(t, "alerts-relay.yml", exprs)
}

func TestCheckerCatchesUnknownMetric(t *testing.T) {
	if got := metricNames(`rate(securep2p_relay_no_such_total[5m])`); len(got) != 1 || exported(t)[got[0]] {
		t.Fatalf("checker would not catch an unknown metric: %v", got)
	}
}

func TestNoLabelCarriesIdentity(t *testing.T) {
	reg := NewRegistry()
	NewRelay(reg)
	allowed := map[string]bool{"result": true, "method": true, "scope": true, "reason": true, "direction": true,
		"version": true} // version: go_info
	for _, mf := range gather(t, reg) {
		if !strings.HasPrefix(mf.GetName(), Namespace+"_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if !allowed[l.GetName()] {
					t.Errorf("%s has label %q", mf.GetName(), l.GetName())
				}
			}
		}
	}
}

func TestHandlerEndpoints(t *testing.T) {
	reg := NewRegistry()
	NewRelay(reg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var ready atomic.Bool
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, Handler(reg, ready.Load)) }()
	base := "http://" + ln.Addr().String()
	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("/healthz %d", code)
	}
	if code, _ := get("/readyz"); code != 503 {
		t.Fatalf("/readyz before ready %d", code)
	}
	ready.Store(true)
	if code, _ := get("/readyz"); code != 200 {
		t.Fatalf("/readyz %d", code)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "securep2p_relay_connections") {
		t.Fatalf("/metrics %d", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}
