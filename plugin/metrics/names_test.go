package metrics

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// TestDashboardsReadTheServedMetrics: conf/dashboards/testdata/metrics.txt, the list the
// dashboards' test checks every PromQL expression against, is exactly the k8saudit_*
// families the hub serves, with their types and the label each carries besides output
// and intake (le aside). A metric renamed or relabelled here and not there fails.
func TestDashboardsReadTheServedMetrics(t *testing.T) {
	h := NewHub()
	out, err := h.Register("k8saudit.0", "ndjson", 1, &fakeSource{})
	if err != nil {
		t.Fatal(err)
	}
	out.RequestStarted() // vectors have no series, so no family, before their first use
	out.RequestDone(200, 3, time.Millisecond)
	families, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]string{}
	for _, f := range families {
		if strings.HasPrefix(f.GetName(), "k8saudit_") {
			desc := strings.ToLower(dto.MetricType_name[int32(f.GetType())])
			for _, l := range f.GetMetric()[0].GetLabel() {
				if n := l.GetName(); n != "output" && n != "intake" {
					desc += " " + n
				}
			}
			served[f.GetName()] = desc
		}
	}
	f, err := os.Open("../../conf/dashboards/testdata/metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	listed := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 2 && !strings.HasPrefix(fields[0], "#") {
			listed[fields[0]] = strings.Join(fields[1:], " ")
		}
	}
	for name, typ := range served {
		if listed[name] != typ {
			t.Errorf("served %s %s; metrics.txt lists it as %q", name, typ, listed[name])
		}
	}
	for name := range listed {
		if _, ok := served[name]; !ok {
			t.Errorf("metrics.txt lists %s, which the hub does not serve", name)
		}
	}
	if len(served) < 18 {
		t.Errorf("only %d k8saudit_ families served", len(served))
	}
}
