package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// dialect: the saved-objects flavour a file is written in.
type dialect int

const (
	kibana dialect = iota
	opensearch
)

// Fields that mislead and were moved (user.roles -> user.group.name, event.code
// dropped, container.image.name for pods only, see README "ECS fields"): no dashboard may
// be built on them, even where an old document still has them.
var movingFields = map[string]bool{"user.roles": true, "event.code": true, "container.image.name": true}

type ref struct{ Name, Type, ID string }

type savedObject struct {
	Type, ID             string
	Attributes           map[string]any
	References           []ref
	CoreMigrationVersion string
	TypeMigrationVersion string
	MigrationVersion     map[string]string
	Managed              *bool
}

func parseNDJSON(b []byte) ([]savedObject, error) {
	var objs []savedObject
	for i, line := range bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n")) {
		var o savedObject
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&o); err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		objs = append(objs, o)
	}
	return objs, nil
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// checkSavedObjects returns every way the objects of one file break the contract in the
// package doc; empty means sound.
func checkSavedObjects(objs []savedObject, fields fieldSet, d dialect) []error {
	var errs []error
	bad := func(o savedObject, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s %s: %s", o.Type, o.ID, fmt.Sprintf(format, a...)))
	}
	byKey := map[string]savedObject{}
	ids := map[string]bool{}
	for _, o := range objs {
		if o.ID == "" || ids[o.ID] {
			bad(o, "id empty or not unique")
		}
		ids[o.ID] = true
		byKey[o.Type+"/"+o.ID] = o
	}
	onDashboard := map[string]bool{}
	timeField := ""
	for _, o := range objs {
		switch d {
		case kibana:
			if o.CoreMigrationVersion == "" || o.TypeMigrationVersion == "" || o.MigrationVersion != nil {
				bad(o, "a Kibana 8.x object carries coreMigrationVersion and typeMigrationVersion")
			}
		case opensearch:
			if o.MigrationVersion[o.Type] == "" || o.TypeMigrationVersion != "" {
				bad(o, "an OpenSearch Dashboards object carries migrationVersion.%s", o.Type)
			}
		}
		if str(o.Attributes, "title") == "" {
			bad(o, "no title")
		}
		names := map[string]ref{}
		for _, r := range o.References {
			if _, dup := names[r.Name]; dup || r.Name == "" {
				bad(o, "reference name %q empty or repeated", r.Name)
			}
			names[r.Name] = r
			if _, ok := byKey[r.Type+"/"+r.ID]; !ok {
				bad(o, "reference %s -> %s %s does not resolve in the file", r.Name, r.Type, r.ID)
			}
		}
		switch o.Type {
		case "index-pattern":
			timeField = str(o.Attributes, "timeFieldName")
			if fields[timeField] == nil {
				bad(o, "time field %q is not emitted", timeField)
			}
			var ffm map[string]any
			if err := json.Unmarshal([]byte(str(o.Attributes, "fieldFormatMap")), &ffm); err != nil {
				bad(o, "fieldFormatMap: %v", err)
			}
			for f := range ffm {
				errs = append(errs, fieldErr(o, f, fields, false, d)...)
			}
		case "search", "visualization":
			errs = append(errs, checkSearchSource(o, names, fields, d)...)
			if o.Type == "search" {
				cols, _ := o.Attributes["columns"].([]any)
				if len(cols) == 0 {
					bad(o, "no columns")
				}
				for _, c := range cols {
					errs = append(errs, fieldErr(o, fmt.Sprint(c), fields, false, d)...)
				}
				sorts, _ := o.Attributes["sort"].([]any)
				for _, s := range sorts {
					if pair, ok := s.([]any); ok && len(pair) == 2 {
						errs = append(errs, fieldErr(o, fmt.Sprint(pair[0]), fields, false, d)...)
					} else {
						bad(o, "sort %v is not [field, direction]", s)
					}
				}
			} else {
				errs = append(errs, checkVisState(o, fields, d)...)
			}
		case "dashboard":
			var panels []map[string]any
			if err := json.Unmarshal([]byte(str(o.Attributes, "panelsJSON")), &panels); err != nil {
				bad(o, "panelsJSON: %v", err)
			}
			idx := map[string]bool{}
			for _, p := range panels {
				pi, prn := str(p, "panelIndex"), str(p, "panelRefName")
				if pi == "" || idx[pi] {
					bad(o, "panelIndex %q empty or repeated", pi)
				}
				idx[pi] = true
				name := prn
				if d == kibana {
					name = pi + ":" + prn // Kibana 8.x names a panel's reference <panelIndex>:<panelRefName>
				}
				r, ok := names[name]
				if !ok {
					bad(o, "panel %s: no reference named %q", pi, name)
					continue
				}
				if r.Type != str(p, "type") {
					bad(o, "panel %s is a %s, its reference a %s", pi, str(p, "type"), r.Type)
				}
				onDashboard[r.Type+"/"+r.ID] = true
				g, _ := p["gridData"].(map[string]any)
				x, _ := g["x"].(float64)
				w, _ := g["w"].(float64)
				h, _ := g["h"].(float64)
				if w <= 0 || h <= 0 || x+w > 48 || str(g, "i") != pi {
					bad(o, "panel %s: gridData %v out of the 48-column grid", pi, g)
				}
			}
		default:
			bad(o, "unexpected type")
		}
	}
	for _, o := range objs {
		if o.Type == "visualization" && !onDashboard[o.Type+"/"+o.ID] {
			bad(o, "on no dashboard")
		}
	}
	// Every date_histogram buckets on the data view's time field.
	for _, o := range objs {
		if o.Type != "visualization" {
			continue
		}
		for _, a := range visAggs(o) {
			if a.Type == "date_histogram" && a.Params["field"] != timeField {
				bad(o, "date_histogram on %v, not the time field %q", a.Params["field"], timeField)
			}
		}
	}
	return errs
}

type visAgg struct {
	ID, Type, Schema string
	Params           map[string]any
}

func visAggs(o savedObject) []visAgg {
	var vs struct{ Aggs []visAgg }
	_ = json.Unmarshal([]byte(str(o.Attributes, "visState")), &vs)
	return vs.Aggs
}

func checkVisState(o savedObject, fields fieldSet, d dialect) []error {
	var errs []error
	var vs struct {
		Title, Type string
		Aggs        []visAgg
		Params      map[string]any
	}
	if err := json.Unmarshal([]byte(str(o.Attributes, "visState")), &vs); err != nil {
		return []error{fmt.Errorf("visualization %s: visState: %w", o.ID, err)}
	}
	if vs.Title != str(o.Attributes, "title") || (vs.Type != "table" && vs.Type != "histogram") || vs.Params == nil {
		errs = append(errs, fmt.Errorf("visualization %s: visState title %q, type %q, params %v", o.ID, vs.Title, vs.Type, vs.Params != nil))
	}
	metrics := map[string]bool{}
	ids := map[string]bool{}
	for _, a := range vs.Aggs {
		if ids[a.ID] {
			errs = append(errs, fmt.Errorf("visualization %s: agg id %s repeated", o.ID, a.ID))
		}
		ids[a.ID] = true
		if a.Schema == "metric" {
			metrics[a.ID] = true
		}
	}
	if len(metrics) == 0 {
		errs = append(errs, fmt.Errorf("visualization %s: no metric", o.ID))
	}
	for _, a := range vs.Aggs {
		f, _ := a.Params["field"].(string)
		switch a.Type {
		case "count":
		case "terms":
			errs = append(errs, fieldErr(o, f, fields, true, d)...)
			if !metrics[fmt.Sprint(a.Params["orderBy"])] {
				errs = append(errs, fmt.Errorf("visualization %s: terms on %s ordered by %v, not a metric", o.ID, f, a.Params["orderBy"]))
			}
		case "max", "avg", "sum", "min":
			errs = append(errs, fieldErr(o, f, fields, false, d)...)
			if fi := fields[f]; fi == nil || !fi.kinds["number"] || len(fi.kinds) != 1 {
				errs = append(errs, fmt.Errorf("visualization %s: %s of %s, which is not a number field", o.ID, a.Type, f))
			}
		case "date_histogram":
			errs = append(errs, fieldErr(o, f, fields, false, d)...)
		default:
			errs = append(errs, fmt.Errorf("visualization %s: agg type %q not validated", o.ID, a.Type))
		}
	}
	return errs
}

// fieldErr: f must be an emitted field, not one being moved. An aggregated field in
// OpenSearch (default dynamic mapping) is a string's .keyword sub-field, or a field that
// is not a string; in Kibana (logs-*-* template, strings are keyword) the field itself.
func fieldErr(o savedObject, f string, fields fieldSet, agg bool, d dialect) []error {
	base := f
	if d == opensearch && agg {
		base = strings.TrimSuffix(f, ".keyword")
	}
	fi := fields[base]
	switch {
	case fi == nil:
		return []error{fmt.Errorf("%s %s: field %q is not emitted by the normalizer", o.Type, o.ID, f)}
	case movingFields[base]:
		return []error{fmt.Errorf("%s %s: field %q is being moved; do not build on it", o.Type, o.ID, f)}
	case d == opensearch && agg && base != f && !(fi.kinds["string"] && len(fi.kinds) == 1):
		return []error{fmt.Errorf("%s %s: %q: .keyword on a field that is not a string", o.Type, o.ID, f)}
	case d == opensearch && agg && base == f && fi.kinds["string"] && f != "@timestamp":
		return []error{fmt.Errorf("%s %s: terms on the text field %q (use %s.keyword)", o.Type, o.ID, f, f)}
	}
	return nil
}

// kqlTerm: field, operator, value(s) of a KQL/DQL comparison.
var kqlTerm = regexp.MustCompile(`([A-Za-z_@][A-Za-z0-9_.@/-]*)\s*(:|>=|<=|>|<)\s*(\([^)]*\)|"[^"]*"|[^\s()]+)`)

func checkSearchSource(o savedObject, refs map[string]ref, fields fieldSet, d dialect) []error {
	var errs []error
	meta, _ := o.Attributes["kibanaSavedObjectMeta"].(map[string]any)
	var ss struct {
		Query struct {
			Query    any
			Language string
		}
		Filter       []any
		IndexRefName string
	}
	if err := json.Unmarshal([]byte(str(meta, "searchSourceJSON")), &ss); err != nil {
		return []error{fmt.Errorf("%s %s: searchSourceJSON: %w", o.Type, o.ID, err)}
	}
	if r, ok := refs[ss.IndexRefName]; !ok || r.Type != "index-pattern" {
		errs = append(errs, fmt.Errorf("%s %s: indexRefName %q names no index-pattern reference", o.Type, o.ID, ss.IndexRefName))
	}
	if ss.Query.Language != "kuery" {
		errs = append(errs, fmt.Errorf("%s %s: query language %q", o.Type, o.ID, ss.Query.Language))
	}
	q, _ := ss.Query.Query.(string)
	for _, m := range kqlTerm.FindAllStringSubmatch(q, -1) {
		field, op, val := m[1], m[2], m[3]
		errs = append(errs, fieldErr(o, field, fields, false, d)...)
		fi := fields[field]
		if fi == nil {
			continue
		}
		if op != ":" {
			if !fi.kinds["number"] {
				errs = append(errs, fmt.Errorf("%s %s: %s %s on a field that is not a number", o.Type, o.ID, field, op))
			}
			continue
		}
		// At least one literal of the comparison is a value the normalizer writes: a typo
		// (pod/exec, Alert) would match nothing and the panel would stay empty for ever.
		var lits []string
		for _, l := range regexp.MustCompile(`\s+(?:or|and)\s+`).Split(strings.Trim(val, "()"), -1) {
			lits = append(lits, strings.Trim(strings.TrimSpace(l), `"`))
		}
		hit := false
		for _, l := range lits {
			hit = hit || fi.values[l]
		}
		if !hit {
			errs = append(errs, fmt.Errorf("%s %s: %s: none of %q is a value the normalizer writes", o.Type, o.ID, field, lits))
		}
	}
	if len(q) > 0 && len(kqlTerm.FindAllString(q, -1)) == 0 {
		errs = append(errs, fmt.Errorf("%s %s: query %q names no field", o.Type, o.ID, q))
	}
	return errs
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSavedObjects: each saved-objects file parses line by line into the export shape of
// its dialect, and holds the contract in the package doc.
func TestSavedObjects(t *testing.T) {
	fields := emittedFields(t)
	for path, d := range map[string]dialect{kibanaFile: kibana, opensearchFile: opensearch} {
		objs, err := parseNDJSON(readFile(t, path))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		kinds := map[string]int{}
		for _, o := range objs {
			kinds[o.Type]++
		}
		if kinds["index-pattern"] != 1 || kinds["dashboard"] != 1 || kinds["visualization"] < 10 || kinds["search"] < 7 {
			t.Errorf("%s: objects %v", path, kinds)
		}
		for _, e := range checkSavedObjects(objs, fields, d) {
			t.Errorf("%s: %v", path, e)
		}
	}
}

// TestDetectionFieldsEmitted: the detection fields the dashboards read exist only when the
// normalizer runs with detections; the field set must hold them (else the checks above
// would pass on a set built without detect).
func TestDetectionFieldsEmitted(t *testing.T) {
	fields := emittedFields(t)
	for _, f := range []string{"rule.id", "rule.name", "threat.technique.id", "event.severity", "labels.severity"} {
		if fields[f] == nil {
			t.Errorf("%s not emitted", f)
		}
	}
	if !fields["event.kind"].values["alert"] {
		t.Error("no event.kind alert among the emitted documents")
	}
}
