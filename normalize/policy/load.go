package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Load reads and compiles a policy file. Every problem found is reported as
// "<path>:<line>: <problem>", one per line (at most maxErrors).
func Load(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse compiles a policy from its YAML (or JSON) text; name stands for the
// file in error messages.
func Parse(name string, data []byte) (*Policy, error) {
	d := &decoder{name: name}
	// Validation runs even after structural errors, so that one pass
	// reports everything the user has to fix.
	if raw := d.document(data); raw != nil {
		p := d.compile(raw)
		if len(d.errs) == 0 {
			return p, nil
		}
	}
	return nil, d.err()
}

// maxErrors bounds the report: past a handful the rest is usually noise
// caused by the first ones.
const maxErrors = 10

// posError is one problem at one line of one file.
type posError struct {
	file string
	line int // 0 when unknown
	msg  string
}

func (e *posError) Error() string {
	if e.line <= 0 {
		return e.file + ": " + e.msg
	}
	return e.file + ":" + strconv.Itoa(e.line) + ": " + e.msg
}

// decoder walks the yaml.Node tree by hand rather than unmarshalling into
// structs: that is how every problem gets its line, and how a field in the
// wrong place is reported instead of silently ignored.
type decoder struct {
	name string
	errs []error
}

func (d *decoder) errorf(line int, format string, args ...any) {
	if len(d.errs) < maxErrors {
		d.errs = append(d.errs, &posError{file: d.name, line: line, msg: fmt.Sprintf(format, args...)})
	}
}

// err returns the problems in file order (they are found in two passes:
// structure while reading, values while compiling).
func (d *decoder) err() error {
	if len(d.errs) == 1 {
		return d.errs[0]
	}
	slices.SortStableFunc(d.errs, func(a, b error) int { return a.(*posError).line - b.(*posError).line })
	return errors.Join(d.errs...)
}

// The raw, line-annotated form of a policy document, before validation.
type (
	rawString struct {
		s    string
		line int
	}
	rawBool struct {
		set  bool
		v    bool
		line int
	}
	rawGroupResources struct {
		line          int
		group         rawString
		resources     []rawString
		resourceNames []rawString
	}
	rawRule struct {
		line              int
		level             rawString
		hasLevel          bool
		users             []rawString
		userGroups        []rawString
		verbs             []rawString
		namespaces        []rawString
		nonResourceURLs   []rawString
		resources         []rawGroupResources
		omitStages        []rawString
		omitManagedFields rawBool
	}
	rawPolicy struct {
		line              int
		rules             []rawRule
		rulesLine         int
		rulesInvalid      bool
		omitStages        []rawString
		omitManagedFields rawBool
	}
)

// The fields each level of the document accepts, in the order Kubernetes
// documents them. Used both to reject unknown fields and to say where a
// misplaced one belongs.
var (
	policyFields = []string{"apiVersion", "kind", "metadata", "rules", "omitStages", "omitManagedFields"}
	ruleFields   = []string{"level", "users", "userGroups", "verbs", "resources", "namespaces", "nonResourceURLs", "omitStages", "omitManagedFields"}
	groupFields  = []string{"group", "resources", "resourceNames"}
)

const (
	wantAPIVersion = "audit.k8s.io/v1"
	wantKind       = "Policy"
)

func (d *decoder) document(data []byte) *rawPolicy {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			d.errorf(1, "empty policy: expected apiVersion: %s, kind: %s and at least one rule", wantAPIVersion, wantKind)
		} else {
			d.yamlError(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == io.EOF:
	case err != nil:
		d.yamlError(err)
		return nil
	default:
		// Kubernetes reads the first document and ignores the rest; a
		// second policy in the file is more likely a mistake than intended.
		d.errorf(extra.Line, "a second YAML document: a policy file holds exactly one Policy")
		return nil
	}
	if len(doc.Content) == 0 {
		d.errorf(1, "empty policy: expected apiVersion: %s, kind: %s and at least one rule", wantAPIVersion, wantKind)
		return nil
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		if isNull(root) {
			d.errorf(root.Line, "empty policy: expected apiVersion: %s, kind: %s and at least one rule", wantAPIVersion, wantKind)
		} else {
			d.errorf(root.Line, "expected a Policy (a mapping with apiVersion, kind and rules), got %s", describe(root))
		}
		return nil
	}
	p := &rawPolicy{line: root.Line}
	var apiVersion, kind rawString
	var haveAPIVersion, haveKind bool
	d.fields(root, "the Policy", policyFields, func(key string, k, v *yaml.Node) {
		switch key {
		case "apiVersion":
			apiVersion, haveAPIVersion = d.str(v, "apiVersion")
		case "kind":
			kind, haveKind = d.str(v, "kind")
		case "metadata":
			// ObjectMeta: accepted for compatibility (a name, labels) and
			// otherwise meaningless to a policy; only its shape is checked.
			if v := resolve(v); v.Kind != yaml.MappingNode && !isNull(v) {
				d.errorf(v.Line, "metadata: expected a mapping, got %s", describe(v))
			}
		case "rules":
			p.rulesLine = k.Line
			if rv := resolve(v); rv.Kind != yaml.SequenceNode && !isNull(rv) {
				p.rulesInvalid = true // reported by seq; "no rules" would only repeat it
			}
			for i, n := range d.seq(v, "rules") {
				p.rules = append(p.rules, d.rule(n, i))
			}
		case "omitStages":
			p.omitStages = d.strs(v, "omitStages")
		case "omitManagedFields":
			p.omitManagedFields = d.boolean(v, "omitManagedFields")
		}
	})
	switch {
	case !haveAPIVersion:
		d.errorf(root.Line, "apiVersion is missing: a policy file starts with apiVersion: %s", wantAPIVersion)
	case apiVersion.s == "audit.k8s.io/v1beta1" || apiVersion.s == "audit.k8s.io/v1alpha1":
		// Accepting these would load files the API server (1.24 and later)
		// refuses; the fields are the same, so the fix is one line.
		d.errorf(apiVersion.line, "apiVersion %s is no longer served by Kubernetes (removed in 1.24); write apiVersion: %s (the fields are the same)", apiVersion.s, wantAPIVersion)
	case apiVersion.s != wantAPIVersion:
		d.errorf(apiVersion.line, "apiVersion %q: expected %s", apiVersion.s, wantAPIVersion)
	}
	switch {
	case !haveKind:
		d.errorf(root.Line, "kind is missing: expected kind: %s", wantKind)
	case kind.s != wantKind:
		d.errorf(kind.line, "kind %q: expected %s", kind.s, wantKind)
	}
	return p
}

func (d *decoder) rule(n *yaml.Node, i int) rawRule {
	n = resolve(n)
	path := "rules[" + strconv.Itoa(i) + "]"
	r := rawRule{line: n.Line}
	if n.Kind != yaml.MappingNode {
		d.errorf(n.Line, "%s: expected a rule (a mapping with level and matchers), got %s", path, describe(n))
		return r
	}
	d.fields(n, "a rule ("+path+")", ruleFields, func(key string, k, v *yaml.Node) {
		switch key {
		case "level":
			r.level, r.hasLevel = d.str(v, path+".level")
		case "users":
			r.users = d.strs(v, path+".users")
		case "userGroups":
			r.userGroups = d.strs(v, path+".userGroups")
		case "verbs":
			r.verbs = d.strs(v, path+".verbs")
		case "namespaces":
			r.namespaces = d.strs(v, path+".namespaces")
		case "nonResourceURLs":
			r.nonResourceURLs = d.strs(v, path+".nonResourceURLs")
		case "resources":
			for j, g := range d.seq(v, path+".resources") {
				r.resources = append(r.resources, d.groupResources(g, path+".resources["+strconv.Itoa(j)+"]"))
			}
		case "omitStages":
			r.omitStages = d.strs(v, path+".omitStages")
		case "omitManagedFields":
			r.omitManagedFields = d.boolean(v, path+".omitManagedFields")
		}
	})
	return r
}

func (d *decoder) groupResources(n *yaml.Node, path string) rawGroupResources {
	n = resolve(n)
	g := rawGroupResources{line: n.Line}
	if n.Kind != yaml.MappingNode {
		d.errorf(n.Line, "%s: expected a mapping with group, resources and resourceNames, got %s", path, describe(n))
		return g
	}
	d.fields(n, "a resources entry ("+path+")", groupFields, func(key string, k, v *yaml.Node) {
		switch key {
		case "group":
			// A null group (`group:`) is the core group, as an omitted one.
			if !isNull(resolve(v)) {
				g.group, _ = d.str(v, path+".group")
			}
			g.group.line = k.Line
		case "resources":
			g.resources = d.strs(v, path+".resources")
		case "resourceNames":
			g.resourceNames = d.strs(v, path+".resourceNames")
		}
	})
	return g
}

// fields calls f for each key of mapping n that is in allowed, and reports
// the others: duplicated, unknown, or belonging to another level.
func (d *decoder) fields(n *yaml.Node, where string, allowed []string, f func(key string, k, v *yaml.Node)) {
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(k.Line, "in %s: a key must be a field name, got %s", where, describe(k))
			continue
		}
		key := k.Value
		if first, dup := seen[key]; dup {
			d.errorf(k.Line, "in %s: field %q appears twice (first at line %d)", where, key, first)
			continue
		}
		seen[key] = k.Line
		if contains(allowed, key) {
			f(key, k, v)
			continue
		}
		if key == "<<" {
			// Kubernetes' YAML reader expands merge keys; this one does
			// not, and says so rather than loading something else.
			d.errorf(k.Line, "in %s: YAML merge keys (<<) are not supported; write the fields out (anchors and aliases of whole values are)", where)
			continue
		}
		d.errorf(k.Line, "in %s: %s", where, unknownField(key, allowed))
	}
}

// unknownField explains a field that is not allowed where it was found. It
// is the case Kubernetes ignores silently (a strict decode error that falls
// back to a lenient one), so the message tries hard to say what was meant.
func unknownField(key string, allowed []string) string {
	for _, a := range allowed {
		if strings.EqualFold(a, key) {
			return fmt.Sprintf("unknown field %q: did you mean %q? (names are case-sensitive)", key, a)
		}
	}
	for _, lv := range []struct {
		what   string
		fields []string
	}{{"a rule", ruleFields}, {"a resources entry", groupFields}, {"the Policy (top level)", policyFields}} {
		if &lv.fields[0] == &allowed[0] {
			continue // the level being read: already handled above
		}
		for _, a := range lv.fields {
			if strings.EqualFold(a, key) {
				return fmt.Sprintf("field %q is not allowed here: it belongs to %s; check its indentation", key, lv.what)
			}
		}
	}
	return fmt.Sprintf("unknown field %q (expected one of: %s)", key, strings.Join(allowed, ", "))
}

// str reads a string scalar. Numbers, booleans and nulls are refused, as the
// API server's JSON decoding refuses them for a string field.
func (d *decoder) str(n *yaml.Node, path string) (rawString, bool) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		d.errorf(n.Line, "%s: expected a string, got %s", path, describe(n))
		return rawString{line: n.Line}, false
	}
	return rawString{s: n.Value, line: n.Line}, true
}

// strs reads a list of strings; null (an empty value) is an empty list.
func (d *decoder) strs(n *yaml.Node, path string) []rawString {
	var out []rawString
	for i, e := range d.seq(n, path) {
		if s, ok := d.str(e, path+"["+strconv.Itoa(i)+"]"); ok {
			out = append(out, s)
		}
	}
	return out
}

func (d *decoder) seq(n *yaml.Node, path string) []*yaml.Node {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		hint := ""
		if n.Kind == yaml.ScalarNode {
			hint = fmt.Sprintf(" (write [%q])", n.Value)
		}
		d.errorf(n.Line, "%s: expected a list, got %s%s", path, describe(n), hint)
		return nil
	}
	return n.Content
}

func (d *decoder) boolean(n *yaml.Node, path string) rawBool {
	n = resolve(n)
	if isNull(n) {
		return rawBool{}
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		d.errorf(n.Line, "%s: expected true or false, got %s", path, describe(n))
		return rawBool{}
	}
	v, err := strconv.ParseBool(strings.ToLower(n.Value))
	if err != nil {
		d.errorf(n.Line, "%s: expected true or false, got %q", path, n.Value)
		return rawBool{}
	}
	return rawBool{set: true, v: v, line: n.Line}
}

// yamlError turns the YAML parser's "yaml: line N: msg" into "file:N: msg".
func (d *decoder) yamlError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, after, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				line, msg = n, after
			}
		}
	}
	d.errorf(line, "invalid YAML: %s", msg)
}

// resolve follows aliases (*name) to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// describe names a node's type for a message: "a list", "the number 3".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing (null)"
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		case "!!int", "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		}
		return fmt.Sprintf("%q (%s)", n.Value, n.ShortTag())
	}
	return "an unexpected YAML node"
}
