package policy

import (
	"fmt"
	"strconv"
	"strings"
)

// rule is one compiled policy rule: every string the matcher compares
// against is ready, so that Evaluate neither allocates nor parses.
type rule struct {
	level             Level
	users             []string
	userGroups        []string
	verbs             []string
	namespaces        []string
	resources         []groupResources
	nonResourceURLs   []urlPattern
	omitStages        StageSet // the policy's omitStages already merged in
	omitManagedFields bool     // the rule's value, or the policy's when unset
	line              int
}

type groupResources struct {
	group     string
	anyGroup  bool // group "*"
	resources []resourcePattern
	names     []string
}

// resourcePattern is one entry of a resources list, split ahead of time into
// the forms the Kubernetes checker recognises (pkg/audit/policy/checker.go).
type resourcePattern struct {
	full    string // compared with "resource" or "resource/subresource"
	any     bool   // "*": every resource and subresource
	subOnly bool   // "*/x": any resource's subresource x; sub holds x
	sub     string
	resOnly bool // "x/*": resource x, with or without subresource; res holds x
	res     string
}

type urlPattern struct {
	s      string // exact path, or the prefix when prefix is set
	prefix bool   // written with a trailing '*'
	any    bool   // "*"
}

// compile validates the raw policy, as Kubernetes' validation does, and
// builds the rules. Problems go to d.errs.
func (d *decoder) compile(raw *rawPolicy) *Policy {
	p := &Policy{name: d.name}
	p.omitStages = d.stages(raw.omitStages, "omitStages")
	p.omitManagedFields = raw.omitManagedFields.v
	if len(raw.rules) == 0 && !raw.rulesInvalid {
		line := raw.rulesLine
		if line == 0 {
			line = raw.line
		}
		// The API server refuses a policy without rules: it would log nothing.
		d.errorf(line, "the policy has no rules (at least one is required; a policy that drops everything is `- level: None`)")
	}
	for i := range raw.rules {
		p.rules = append(p.rules, d.compileRule(p, &raw.rules[i], i))
	}
	return p
}

func (d *decoder) compileRule(p *Policy, rr *rawRule, i int) rule {
	path := "rules[" + strconv.Itoa(i) + "]"
	r := rule{line: rr.line}
	switch lv, ok := ParseLevel([]byte(rr.level.s)); {
	case !rr.hasLevel:
		d.errorf(rr.line, "%s: level is required (None, Metadata, Request or RequestResponse)", path)
	case !ok:
		hint := ""
		if l, ok := levelFold(rr.level.s); ok {
			hint = fmt.Sprintf("; did you mean %q?", l)
		}
		d.errorf(rr.level.line, "%s.level: unknown level %q (expected None, Metadata, Request or RequestResponse%s)", path, rr.level.s, hint)
	default:
		r.level = lv
	}
	r.users = values(rr.users)
	r.userGroups = values(rr.userGroups)
	r.verbs = values(rr.verbs)
	r.namespaces = values(rr.namespaces)

	if len(rr.nonResourceURLs) > 0 && (len(rr.resources) > 0 || len(rr.namespaces) > 0) {
		d.errorf(rr.nonResourceURLs[0].line, "%s: nonResourceURLs cannot be combined with resources or namespaces (a rule applies to resource requests or to non-resource URLs, not both)", path)
	}
	for j, u := range rr.nonResourceURLs {
		up := fmt.Sprintf("%s.nonResourceURLs[%d]", path, j)
		switch {
		case u.s == "*":
			r.nonResourceURLs = append(r.nonResourceURLs, urlPattern{any: true})
			continue
		case !strings.HasPrefix(u.s, "/"):
			d.errorf(u.line, "%s: %q: a non-resource URL must begin with '/' (or be \"*\")", up, u.s)
			continue
		case strings.Contains(u.s[:len(u.s)-1], "*"):
			d.errorf(u.line, "%s: %q: '*' is only allowed as the last character (a prefix match)", up, u.s)
			continue
		}
		if pre, ok := strings.CutSuffix(u.s, "*"); ok {
			r.nonResourceURLs = append(r.nonResourceURLs, urlPattern{s: pre, prefix: true})
		} else {
			r.nonResourceURLs = append(r.nonResourceURLs, urlPattern{s: u.s})
		}
	}

	for j := range rr.resources {
		g := &rr.resources[j]
		gp := fmt.Sprintf("%s.resources[%d]", path, j)
		cg := groupResources{group: g.group.s, anyGroup: g.group.s == "*", names: values(g.resourceNames)}
		if g.group.s != "" && g.group.s != "*" {
			if msg := checkGroup(g.group.s); msg != "" {
				d.errorf(g.group.line, "%s.group: %q is not an API group name: %s", gp, g.group.s, msg)
			}
		}
		if len(g.resourceNames) > 0 && len(g.resources) == 0 {
			d.errorf(g.resourceNames[0].line, "%s.resourceNames: using resourceNames requires at least one resource", gp)
		}
		for _, res := range g.resources {
			cg.resources = append(cg.resources, compileResource(res.s))
		}
		r.resources = append(r.resources, cg)
	}

	r.omitStages = p.omitStages | d.stages(rr.omitStages, path+".omitStages")
	r.omitManagedFields = p.omitManagedFields
	if rr.omitManagedFields.set {
		r.omitManagedFields = rr.omitManagedFields.v
	}
	d.lint(p, rr, path)
	return r
}

func compileResource(s string) resourcePattern {
	rp := resourcePattern{full: s, any: s == "*"}
	if sub, ok := strings.CutPrefix(s, "*/"); ok {
		rp.subOnly, rp.sub = true, sub
	}
	if res, ok := strings.CutSuffix(s, "/*"); ok {
		rp.resOnly, rp.res = true, res
	}
	return rp
}

func (d *decoder) stages(list []rawString, path string) StageSet {
	var set StageSet
	for i, s := range list {
		st, ok := ParseStage([]byte(s.s))
		if !ok {
			d.errorf(s.line, "%s[%d]: unknown stage %q (expected RequestReceived, ResponseStarted, ResponseComplete or Panic)", path, i, s.s)
			continue
		}
		set = set.With(st)
	}
	return set
}

// lint records what Kubernetes accepts but what almost certainly does not
// do what its author meant. These are warnings, not errors: the file also
// has to load in the API server, and there it means exactly this.
func (d *decoder) lint(p *Policy, rr *rawRule, path string) {
	warn := func(line int, format string, args ...any) {
		p.warnings = append(p.warnings, (&posError{file: d.name, line: line, msg: fmt.Sprintf(format, args...)}).Error())
	}
	for _, l := range []struct {
		field string
		list  []rawString
	}{{"users", rr.users}, {"userGroups", rr.userGroups}, {"verbs", rr.verbs}, {"namespaces", rr.namespaces}} {
		for _, s := range l.list {
			if strings.Contains(s.s, "*") {
				warn(s.line, "%s.%s: %q: '*' is a literal character in %s, not a wildcard; this matches only that exact string", path, l.field, s.s, l.field)
			}
		}
	}
	for _, g := range rr.resources {
		for _, res := range g.resources {
			if res.s == "*/*" {
				warn(res.line, "%s.resources: \"*/*\" matches nothing in an audit policy; \"*\" matches every resource and subresource", path)
			}
		}
	}
}

// checkGroup tells why s is not a DNS-1123 subdomain (lower-case labels of
// [a-z0-9-] separated by dots, at most 253 characters), or returns "".
// A common mistake it catches is a group/version: "apps/v1".
func checkGroup(s string) string {
	if len(s) > 253 {
		return "longer than 253 characters"
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" {
			return "empty label (two dots, or a dot at an end)"
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			case c == '-' && i > 0 && i < len(label)-1:
			case c == '/':
				return "a group has no version (write the group alone, e.g. \"apps\", not \"apps/v1\")"
			default:
				return "only lower-case letters, digits, '-' and '.' are allowed, and each part must start and end with a letter or digit"
			}
		}
	}
	return ""
}

func levelFold(s string) (string, bool) {
	for _, l := range levelNames {
		if strings.EqualFold(l, s) {
			return l, true
		}
	}
	return "", false
}

func values(list []rawString) []string {
	if len(list) == 0 {
		return nil
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.s
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
