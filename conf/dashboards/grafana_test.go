package dashboards

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// knownMetrics reads testdata/metrics.txt (name, type and the label besides output and
// intake, if any, per line; plugin/metrics checks it against what the hub serves): the
// types by name, and the labels into labelsOf.
func knownMetrics(t *testing.T) map[string]string {
	t.Helper()
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, "testdata/metrics.txt")))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 && len(f) != 3 {
			t.Fatalf("metrics.txt: %q is not name type [label]", line)
		}
		m[f[0]] = f[1]
		if len(f) == 3 {
			labelsOf[f[0]] = f[2]
		}
	}
	if len(m) == 0 {
		t.Fatal("metrics.txt lists no metric")
	}
	return m
}

// labelsOf: the label each metric carries besides output and intake (le: histograms),
// filled by knownMetrics.
var labelsOf = map[string]string{}

var (
	metricUse = regexp.MustCompile(`\b(k8saudit_[a-z0-9_]+)(\{[^}]*\})?`)
	byClause  = regexp.MustCompile(`\bby\s*\(([^)]*)\)`)
)

type grafanaDash struct {
	UID, Title string
	Templating struct {
		List []struct {
			Name, Type string
			Query      any
			Datasource map[string]any
		}
	}
	Panels []struct {
		ID         int
		Type       string
		Title      string
		Datasource map[string]any
		Targets    []struct {
			Expr       string
			RefID      string `json:"refId"`
			Datasource map[string]any
		}
	}
}

// checkGrafana returns every way the dashboard breaks its contract: variables datasource
// and output; every panel and target on ${datasource}; every metric a known name (a
// histogram by its _bucket, _sum or _count series), each selector filtered by $output; the
// labels summed by exist on the metrics summed; every known metric on some panel.
func checkGrafana(b []byte, metrics map[string]string) []error {
	var errs []error
	var d grafanaDash
	if err := json.Unmarshal(b, &d); err != nil {
		return []error{err}
	}
	if d.UID == "" || d.Title == "" {
		errs = append(errs, fmt.Errorf("no uid or title"))
	}
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
		if v.Name == "datasource" && v.Query != "prometheus" {
			errs = append(errs, fmt.Errorf("datasource variable on %v, not prometheus", v.Query))
		}
		if v.Name == "output" {
			q, _ := json.Marshal(v.Query)
			for _, m := range metricUse.FindAllStringSubmatch(string(q), -1) {
				if metrics[m[1]] == "" {
					errs = append(errs, fmt.Errorf("output variable on unknown metric %s", m[1]))
				}
			}
			if !strings.Contains(string(q), "label_values(k8saudit_") || !strings.Contains(string(q), ", output)") {
				errs = append(errs, fmt.Errorf("output variable query %s", q))
			}
		}
	}
	if vars["datasource"] != "datasource" || vars["output"] != "query" {
		errs = append(errs, fmt.Errorf("variables %v, want datasource (datasource) and output (query)", vars))
	}
	used := map[string]bool{}
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			errs = append(errs, fmt.Errorf("panel id %d repeated", p.ID))
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		if p.Datasource["uid"] != "${datasource}" || len(p.Targets) == 0 {
			errs = append(errs, fmt.Errorf("panel %q: datasource %v, %d targets", p.Title, p.Datasource, len(p.Targets)))
		}
		for _, tg := range p.Targets {
			where := fmt.Sprintf("panel %q target %s", p.Title, tg.RefID)
			if tg.Datasource["uid"] != "${datasource}" {
				errs = append(errs, fmt.Errorf("%s: datasource %v", where, tg.Datasource))
			}
			uses := metricUse.FindAllStringSubmatch(tg.Expr, -1)
			if len(uses) == 0 {
				errs = append(errs, fmt.Errorf("%s: no k8saudit metric in %q", where, tg.Expr))
			}
			var names []string
			for _, u := range uses {
				name := u[1]
				if metrics[name] == "histogram" {
					errs = append(errs, fmt.Errorf("%s: histogram %s used without _bucket, _sum or _count", where, name))
				} else if metrics[name] == "" {
					base := name
					for _, s := range []string{"_bucket", "_sum", "_count"} {
						if metrics[strings.TrimSuffix(name, s)] == "histogram" {
							base = strings.TrimSuffix(name, s)
						}
					}
					if base == name {
						errs = append(errs, fmt.Errorf("%s: unknown metric %s", where, name))
						continue
					}
					name = base
				}
				used[name] = true
				names = append(names, name)
				if !strings.Contains(u[2], `output=~"$output"`) {
					errs = append(errs, fmt.Errorf("%s: %s not filtered by $output", where, u[1]))
				}
			}
			for _, by := range byClause.FindAllStringSubmatch(tg.Expr, -1) {
				for _, l := range strings.Split(by[1], ",") {
					l = strings.TrimSpace(l)
					ok := l == "output" || l == "intake"
					for _, n := range names {
						ok = ok || labelsOf[n] == l || (l == "le" && metrics[n] == "histogram")
					}
					if !ok {
						errs = append(errs, fmt.Errorf("%s: by (%s): no metric of %v carries %s", where, by[1], names, l))
					}
				}
			}
		}
	}
	for m := range metrics {
		if !used[m] {
			errs = append(errs, fmt.Errorf("metric %s is on no panel", m))
		}
	}
	return errs
}

// TestGrafana: the Grafana dashboard parses and every PromQL expression is built on the
// metrics of the contract (testdata/metrics.txt).
func TestGrafana(t *testing.T) {
	for _, e := range checkGrafana(readFile(t, grafanaFile), knownMetrics(t)) {
		t.Errorf("%s: %v", grafanaFile, e)
	}
}
