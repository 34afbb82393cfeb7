package policy

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var anyLine = regexp.MustCompile(`^bad\.yaml:[1-9][0-9]*: `)

const head = "apiVersion: audit.k8s.io/v1\nkind: Policy\n" // lines 1-2

// Every kind of error names the file, the line and the problem.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		name string
		src  string
		line int    // expected line; -1 = any line (the YAML parser's choice)
		want string // substring of the problem
	}{
		// Levels.
		{"unknown level", head + "rules:\n- level: Everything\n", 4, `rules[0].level: unknown level "Everything"`},
		{"level case", head + "rules:\n- level: metadata\n", 4, `did you mean "Metadata"?`},
		{"missing level", head + "rules:\n- verbs: [get]\n", 4, "rules[0]: level is required"},
		{"level not a string", head + "rules:\n- level: [Metadata]\n", 4, "rules[0].level: expected a string, got a list"},
		// YAML.
		{"bad YAML", head + "rules:\n- level: None\n   verbs: [get]\n", 5, "invalid YAML: "},
		{"tab", head + "rules:\n\t- level: None\n", 4, "invalid YAML: "},
		{"unclosed flow", head + "rules:\n- level: None\n  verbs: [get\n", -1, "invalid YAML: "},
		{"duplicate key", head + "rules:\n- level: None\n  verbs: [get]\n  verbs: [list]\n", 6, `field "verbs" appears twice (first at line 5)`},
		{"second document", head + "rules:\n- level: None\n---\n" + head + "rules:\n- level: None\n", 5, "a second YAML document"},
		{"not a mapping", "- level: None\n", 1, "expected a Policy (a mapping"},
		// Misplaced and unknown fields: Kubernetes ignores these silently.
		{"verbs inside resources", head + "rules:\n- level: None\n  resources:\n  - group: ''\n    resources: [pods]\n    verbs: [get]\n", 8,
			`in a resources entry (rules[0].resources[0]): field "verbs" is not allowed here: it belongs to a rule; check its indentation`},
		{"group in a rule", head + "rules:\n- level: None\n  group: apps\n", 5, `field "group" is not allowed here: it belongs to a resources entry`},
		{"level at top", head + "level: None\nrules:\n- level: None\n", 3, `in the Policy: field "level" is not allowed here: it belongs to a rule`},
		{"unknown rule field", head + "rules:\n- level: None\n  user: [bob]\n", 5, `unknown field "user" (expected one of: level, users,`},
		{"wrong case", head + "rules:\n- level: None\n  nonResourceUrls: [/x]\n", 5, `unknown field "nonResourceUrls": did you mean "nonResourceURLs"?`},
		{"merge key", head + "rules:\n- &base\n  level: None\n- <<: *base\n  verbs: [get]\n", 6, "YAML merge keys (<<) are not supported"},
		{"unknown top field", head + "rule:\n- level: None\n", 3, `in the Policy: unknown field "rule"`},
		// apiVersion and kind.
		{"wrong kind", "apiVersion: audit.k8s.io/v1\nkind: Event\nrules:\n- level: None\n", 2, `kind "Event": expected Policy`},
		{"missing kind", "apiVersion: audit.k8s.io/v1\nrules:\n- level: None\n", 1, "kind is missing"},
		{"wrong apiVersion", "apiVersion: v1\nkind: Policy\nrules:\n- level: None\n", 1, `apiVersion "v1": expected audit.k8s.io/v1`},
		{"v1beta1", "apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules:\n- level: None\n", 1, "apiVersion audit.k8s.io/v1beta1 is no longer served by Kubernetes"},
		{"missing apiVersion", "kind: Policy\nrules:\n- level: None\n", 1, "apiVersion is missing"},
		// Emptiness.
		{"no rules", head + "omitStages: [RequestReceived]\n", 1, "the policy has no rules"},
		{"empty rules", head + "rules: []\n", 3, "the policy has no rules"},
		{"empty file", "", 1, "empty policy"},
		{"only comments", "# nothing\n", 1, "empty policy"},
		// Validation (validation.go).
		{"nonResourceURLs with resources", head + "rules:\n- level: None\n  resources: [{group: ''}]\n  nonResourceURLs: [/x]\n", 6, "nonResourceURLs cannot be combined with resources or namespaces"},
		{"nonResourceURLs with namespaces", head + "rules:\n- level: None\n  namespaces: [a]\n  nonResourceURLs: [/x]\n", 6, "nonResourceURLs cannot be combined"},
		{"group with version", head + "rules:\n- level: None\n  resources:\n  - group: rbac.authorization.k8s.io/v1beta1\n", 6, `rules[0].resources[0].group: "rbac.authorization.k8s.io/v1beta1" is not an API group name: a group has no version`},
		{"group upper case", head + "rules:\n- level: None\n  resources: [{group: Apps}]\n", 5, "is not an API group name"},
		{"url without slash", head + "rules:\n- level: None\n  nonResourceURLs: [logs]\n", 5, `nonResourceURLs[0]: "logs": a non-resource URL must begin with '/'`},
		{"empty url", head + "rules:\n- level: None\n  nonResourceURLs: ['']\n", 5, `must begin with '/'`},
		{"star inside url", head + "rules:\n- level: None\n  nonResourceURLs: ['/logs/*/*']\n", 5, "'*' is only allowed as the last character"},
		{"star before suffix", head + "rules:\n- level: None\n  nonResourceURLs:\n  - /ok\n  - '/logs/*.log'\n", 7, `nonResourceURLs[1]: "/logs/*.log"`},
		{"resourceNames without resources", head + "rules:\n- level: None\n  resources:\n  - group: ''\n    resourceNames: [x]\n", 7, "using resourceNames requires at least one resource"},
		{"unknown rule stage", head + "rules:\n- level: None\n  omitStages: [ResponseSent]\n", 5, `rules[0].omitStages[0]: unknown stage "ResponseSent"`},
		{"unknown policy stage", head + "omitStages: [Started]\nrules:\n- level: None\n", 3, `omitStages[0]: unknown stage "Started"`},
		// Types.
		{"number for a string", head + "rules:\n- level: None\n  users: [123]\n", 5, "rules[0].users[0]: expected a string, got the number 123"},
		{"string for a list", head + "rules:\n- level: None\n  verbs: get\n", 5, `rules[0].verbs: expected a list, got the string "get" (write ["get"])`},
		{"string for a bool", head + "omitManagedFields: 'yes'\nrules:\n- level: None\n", 3, "omitManagedFields: expected true or false"},
		{"rule not a mapping", head + "rules:\n- None\n", 4, "rules[0]: expected a rule"},
		{"rules not a list", head + "rules:\n  level: None\n", 4, "rules: expected a list, got a mapping"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(c.src))
			if err == nil {
				t.Fatalf("no error for:\n%s", c.src)
			}
			msg := err.Error()
			// One of the reported lines must be this problem at this line.
			prefix := "bad.yaml:" + strconv.Itoa(c.line) + ": "
			for _, m := range strings.Split(msg, "\n") {
				if c.line < 0 {
					prefix = anyLine.FindString(m)
				}
				if prefix != "" && strings.HasPrefix(m, prefix) && strings.Contains(m, c.want) {
					return
				}
			}
			t.Errorf("error %q\nwant a line %q...%q", msg, prefix, c.want)
		})
	}
}

// All problems are reported at once, each on its own line.
func TestParseErrorsTogether(t *testing.T) {
	src := head + "rules:\n- level: Loud\n- level: None\n  verb: [get]\n"
	_, err := Parse("p.yaml", []byte(src))
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "p.yaml:4: ") || !strings.HasPrefix(lines[1], "p.yaml:6: ") {
		t.Errorf("got %q, want both, in file order", lines)
	}
}

func TestLoadNamesThePath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(path, []byte(head+"rules:\n- level: Nope\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+":4: ") {
		t.Errorf("got %v", err)
	}
	_, err = Load(filepath.Join(dir, "missing.yaml"))
	if err == nil || !strings.Contains(err.Error(), "missing.yaml") || !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("got %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}

// What Kubernetes accepts is accepted: JSON, anchors, comments, null lists,
// metadata, and a null group (the core group).
func TestParseAccepts(t *testing.T) {
	for name, src := range map[string]string{
		"json":     `{"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[{"level":"Metadata","verbs":["get"]}]}`,
		"anchors":  head + "rules:\n- level: None\n  verbs: &reads [get, list]\n- level: Metadata\n  verbs: *reads\n",
		"nulls":    head + "rules:\n- level: Metadata\n  users:\n  resources:\n  - group:\n    resources: [pods]\n",
		"metadata": head + "metadata:\n  name: mine\nrules:\n- level: Metadata\n",
		"doc mark": "---\n" + head + "rules:\n- level: Metadata\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse(name, []byte(src)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Accepted by Kubernetes but most likely wrong: loads, with a warning.
func TestWarnings(t *testing.T) {
	p := mustParse(t, "", "- level: None\n  users: ['*apiserver']\n  verbs: ['*']\n  resources: [{group: '*', resources: ['*/*']}]\n")
	w := p.Warnings()
	if len(w) != 3 || !strings.HasPrefix(w[0], "test.yaml:5: ") || !strings.Contains(w[0], "'*' is a literal character in users") ||
		!strings.HasPrefix(w[1], "test.yaml:6: ") || !strings.Contains(w[2], `"*/*" matches nothing`) {
		t.Errorf("warnings: %q", w)
	}
}

func TestString(t *testing.T) {
	p := mustParse(t, "omitStages: [RequestReceived, Panic]\n", "- level: None\n  verbs: [get]\n", "- level: None\n", "- level: Request\n")
	want := "test.yaml: 3 rules (None 2, Request 1), omitStages [RequestReceived,Panic], omitManagedFields false"
	if got := p.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if p.Len() != 3 {
		t.Errorf("Len %d", p.Len())
	}
}
