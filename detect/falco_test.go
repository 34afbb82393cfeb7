package detect

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FalcoToOurs maps the Falco k8saudit rules that EXPECTED_RULES.tsv names
// to the catalogue rule that covers each (README, "Falco's rules and
// ours"). Falco's INFO activity rules ("K8s <kind> Created/Deleted") and
// its allowlist-driven posture rules are not security detections here: the
// ones the catalogue covers are mapped, the others are listed in
// falcoNotMapped with the reason.
var FalcoToOurs = map[string]string{
	"Create Sensitive Mount Pod":                       "K8S-014",
	"Create HostNetwork Pod":                           "K8S-013",
	"Create Privileged Pod":                            "K8S-010",
	"ClusterRole With Pod Exec Created":                "K8S-024",
	"ClusterRole With Write Privileges Created":        "K8S-024",
	"ClusterRole With Wildcard Created":                "K8S-023",
	"Service Account Created in Kube Namespace":        "K8S-031",
	"Pod Created in Kube Namespace":                    "K8S-017",
	"System ClusterRole Modified/Deleted":              "K8S-025",
	"Create NodePort Service":                          "K8S-035",
	"Attach/Exec Pod":                                  "K8S-001|K8S-002",
	"Attach to cluster-admin Role":                     "K8S-021",
	"Create/Modify Configmap With Private Credentials": "K8S-036",
	"Anonymous Request Allowed":                        "K8S-044",
	"Disallowed K8s User":                              "K8S-050",
	"K8s Secret Created":                               "K8S-041",
	"K8s Secret Deleted":                               "K8S-041",
	"K8s ClusterRoleBinding Created":                   "K8S-027",
	"K8s ClusterRoleBinding Deleted":                   "K8S-027",
	"K8s Deployment Deleted":                           "K8S-048",
	"K8s Namespace Deleted":                            "K8S-048",
}

var falcoNotMapped = map[string]string{
	"Create Disallowed Pod":       "allowlist-driven posture rule (a no-op in Falco's default rules)",
	"Create Disallowed Namespace": "allowlist-driven posture rule",
	"json_pointer_example":        "a test of Falco's rule language, not a detection",
	"K8s Service Created":         "INFO activity",
	"K8s Service Deleted":         "INFO activity",
	"K8s ConfigMap Created":       "INFO activity",
	"K8s ConfigMap Deleted":       "INFO activity",
	"K8s Namespace Created":       "INFO activity",
	"K8s Deployment Created":      "INFO activity",
	"K8s Serviceaccount Created":  "INFO activity",
	"K8s Serviceaccount Deleted":  "INFO activity",
	"K8s ClusterRole Created":     "INFO activity",
	"K8s ClusterRole Deleted":     "INFO activity",
}

// falcoEvents returns the events of a trace file, one per line (an
// EventList's items each); a line that is not JSON is skipped (the
// malformed fal_01_003.json).
func falcoEvents(t *testing.T, name string) []string {
	t.Helper()
	fh, err := os.Open(filepath.Join("testdata", "falco", name))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var out []string
	sc := bufio.NewScanner(fh)
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		var probe struct{ Items []json.RawMessage }
		if line == "" || json.Unmarshal([]byte(line), &probe) != nil {
			continue
		}
		if len(probe.Items) > 0 {
			for _, it := range probe.Items {
				out = append(out, string(it))
			}
			continue
		}
		out = append(out, line)
	}
	return out
}

type falcoCase struct{ file, test, expected, overrides string }

func falcoCases(t *testing.T) []falcoCase {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("testdata", "falco", "EXPECTED_RULES.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var out []falcoCase
	for _, l := range strings.Split(string(text), "\n") {
		if l == "" || l[0] == '#' || strings.HasPrefix(l, "file\t") {
			continue
		}
		c := strings.Split(l, "\t")
		for len(c) < 4 {
			c = append(c, "")
		}
		out = append(out, falcoCase{c[0], c[1], c[2], c[3]})
	}
	if len(out) < 60 {
		t.Fatalf("only %d cases read", len(out))
	}
	return out
}

// falcoEngine: every rule on, K8S-050 told the cluster's one known user
// (Falco's allowed_k8s_users holds minikube-user in its tests).
func falcoEngine(t *testing.T) *Engine {
	known, _ := ParseAllowlist("minikube-user")
	return New(Options{Rules: AllRules(), KnownUsers: known})
}

// TestFalcoExpectedDetectionsFire: every detection Falco's tests expect of
// a trace maps to one of ours, which fires on that trace.
func TestFalcoExpectedDetectionsFire(t *testing.T) {
	mapped := 0
	for _, c := range falcoCases(t) {
		i := strings.Index(c.expected, `"`)
		if i < 0 {
			continue // no detection asserted
		}
		falco := strings.Trim(c.expected[i:], `"`)
		ours, ok := FalcoToOurs[falco]
		if !ok {
			if _, skip := falcoNotMapped[falco]; !skip {
				t.Errorf("%s: Falco rule %q is neither mapped nor listed as not mapped", c.test, falco)
			}
			continue
		}
		mapped++
		e := falcoEngine(t)
		events := falcoEvents(t, c.file)
		fired := 0
		for _, ev := range events {
			got := ids(t, e, ev)
			for _, id := range strings.Split(ours, "|") {
				if has(got, id) {
					fired++
					break
				}
			}
		}
		want := 1
		if strings.HasPrefix(c.expected, "6x") {
			want = 6
		}
		if fired != want {
			t.Errorf("%s (%s): %q -> %s fired on %d of %d events, want %d", c.test, c.file, falco, ours, fired, len(events), want)
		}
	}
	if mapped < 30 {
		t.Errorf("only %d expectations mapped", mapped)
	}
}

// TestFalcoQuietFilesStayQuiet: the traces Falco expects nothing of, with
// no allowlist override, raise nothing of ours either, every rule on but
// K8S-050 (config-driven: it names identities, as Falco's own admin rule,
// off by default, does).
func TestFalcoQuietFilesStayQuiet(t *testing.T) {
	quiet := map[string]bool{}
	loud := map[string]bool{}
	for _, c := range falcoCases(t) {
		if strings.Contains(c.expected, `"`) {
			loud[c.file] = true
			continue
		}
		if c.overrides == "" || strings.Contains(c.overrides, "DisallowKactivity") && !strings.Contains(c.overrides, "Trust") {
			quiet[c.file] = true
		}
	}
	set, err := ParseRules("all,-K8S-050")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for file := range quiet {
		if loud[file] && file != "minikube_creates_namespace_foo.json" {
			continue // another test expects a detection of this file
		}
		n++
		e := New(Options{Rules: set})
		for _, ev := range falcoEvents(t, file) {
			if got := ids(t, e, ev); len(got) > 0 {
				t.Errorf("%s: fired %v", file, got)
			}
		}
	}
	if n < 6 {
		t.Errorf("only %d quiet files checked", n)
	}
}
