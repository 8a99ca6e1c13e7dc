package cluster

import (
	"encoding/json"
	"os"
	"regexp"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestDashboardClusterMetricsExported: every securep2p_relay_cluster_*
// name in metrics/grafana-relay.json is a series this package exports
// (metrics/ checks the relay's own names; it cannot import this package).
func TestDashboardClusterMetricsExported(t *testing.T) {
	raw, err := os.ReadFile("../../metrics/grafana-relay.json")
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
	known := exportedNames(t)
	name := regexp.MustCompile(`securep2p_relay_cluster_[a-zA-Z0-9_]*`)
	found := 0
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			for _, n := range name.FindAllString(tg.Expr, -1) {
				found++
				if !known[n] {
					t.Errorf("%q is not exported by relay/cluster (in %s)", n, tg.Expr)
				}
			}
		}
	}
	if found == 0 {
		t.Fatal("the dashboard has no cluster panels")
	}
}

// exportedNames are the cluster's series names, with the _bucket, _sum
// and _count names of histograms.
func exportedNames(t *testing.T) map[string]bool {
	reg := prometheus.NewRegistry()
	if _, err := newMetrics(reg); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
		for _, s := range []string{"_bucket", "_sum", "_count"} {
			names[mf.GetName()+s] = true
		}
	}
	return names
}
