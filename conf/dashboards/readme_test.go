package dashboards

import (
	"fmt"
	"strings"
	"testing"
)

// TestReadmeDescribesDashboards: the README's Dashboards section names every file, the
// index placeholders and the object counts it claims.
func TestReadmeDescribesDashboards(t *testing.T) {
	readme := string(readFile(t, "../../README.md"))
	i := strings.Index(readme, "\n## Dashboards\n")
	if i < 0 {
		t.Fatal("README has no Dashboards section")
	}
	sec := readme[i+1:]
	if j := strings.Index(sec[3:], "\n## "); j >= 0 {
		sec = sec[:j+3]
	}
	objs, err := parseNDJSON(readFile(t, kibanaFile))
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, o := range objs {
		n[o.Type]++
	}
	for _, want := range []string{
		"grafana/k8saudit-metrics.json", "kibana/k8saudit-audit.ndjson", "opensearch/k8saudit-audit.ndjson",
		"`" + kibanaTitle + "`", "`" + opensearchTitle + "`",
		fmt.Sprintf("%d saved searches", n["search"]), fmt.Sprintf("%d visualizations", n["visualization"]),
		"/api/saved_objects/_import", "/api/dashboards/db",
	} {
		if !strings.Contains(sec, want) {
			t.Errorf("README Dashboards section lacks %q", want)
		}
	}
}
