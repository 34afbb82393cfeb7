package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

var repoRoot = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}()

const shipped = "conf/kubernetes/kube-apiserver.yaml"

// kubeadmNode is a node's filesystem under a temporary root as kubeadm leaves it: the
// certificates and keys the shipped manifest's flags name, nothing of k8saudit.
func kubeadmNode(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	b, err := os.ReadFile(filepath.Join(repoRoot, shipped))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "- "))
		k, v, ok := strings.Cut(l, "=")
		if ok && strings.HasPrefix(k, "--") && strings.HasPrefix(v, "/etc/kubernetes/pki/") {
			writeFile(t, filepath.Join(root, v), "x", 0o600)
		}
	}
	return root
}

func writeFile(t *testing.T, p, text string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
}

// setup runs conf/kubernetes/static-pod-setup.sh on the node under root, as the README says.
func setup(t *testing.T, root string, args ...string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(repoRoot, "conf", "kubernetes", "static-pod-setup.sh"), args...)
	cmd.Env = append(os.Environ(), "ROOT="+root)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("static-pod-setup.sh: %v\n%s", err, out)
	}
}

// install puts the manifest (the shipped one, edited by edit) in the node's manifests
// directory and checks it there.
func install(t *testing.T, root string, edit func(string) string) *Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, shipped))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	if edit != nil {
		text = edit(text)
	}
	p := filepath.Join(root, "etc", "kubernetes", "manifests", "kube-apiserver.yaml")
	writeFile(t, p, text, 0o600)
	return Check(p, root, "/etc/kubernetes/manifests")
}

func problemsWith(r *Report, sub string) []string {
	var out []string
	for _, p := range r.Problems {
		if strings.Contains(p, sub) {
			out = append(out, p)
		}
	}
	return out
}

// TestShippedManifestPassesAfterSetup: on a kubeadm node, static-pod-setup.sh creates every
// file and directory the shipped manifest's k8saudit lines need, so that the checker finds
// no problem; the example intake file's URL and key are warned about.
func TestShippedManifestPassesAfterSetup(t *testing.T) {
	root := kubeadmNode(t)
	setup(t, root)
	r := install(t, root, nil)
	if len(r.Problems) != 0 {
		t.Fatalf("problems after static-pod-setup.sh:\n%s", strings.Join(r.Problems, "\n"))
	}
	var url, key bool
	for _, w := range r.Warnings {
		url = url || strings.Contains(w, "example URL")
		key = key || strings.Contains(w, "example key")
	}
	if !url || !key {
		t.Errorf("want warnings about the example URL and key of intake.conf, got:\n%s", strings.Join(r.Warnings, "\n"))
	}
	// Every shipped policy is one the API server can take.
	policies, _ := filepath.Glob(filepath.Join(repoRoot, "conf", "policies", "*.yaml"))
	if len(policies) == 0 {
		t.Fatal("no policies in conf/policies")
	}
	for _, p := range policies {
		root := kubeadmNode(t)
		setup(t, root, p)
		if r := install(t, root, nil); len(r.Problems) != 0 {
			t.Errorf("with %s: %s", filepath.Base(p), strings.Join(r.Problems, "\n"))
		}
	}
}

// TestCheckerCatchesWhatStopsTheAPIServer: each way the merge can take the API server down
// (or leave the sidecar shipping nothing) is reported as a problem.
func TestCheckerCatchesWhatStopsTheAPIServer(t *testing.T) {
	stopsPod := "the kubelet will not start the pod"
	cases := []struct {
		name  string
		prep  func(t *testing.T, root string)
		edit  func(string) string
		wants []string
	}{
		{name: "no setup", prep: func(*testing.T, string) {},
			wants: []string{"/etc/kubernetes/audit is not a directory", "audit/policy.yaml is not a file", "intake.conf is missing"}},
		{name: "policy removed", prep: func(t *testing.T, root string) {
			os.Remove(filepath.Join(root, "etc/kubernetes/audit/policy.yaml"))
		}, wants: []string{"--audit-policy-file=/etc/kubernetes/audit/policy.yaml: /etc/kubernetes/audit/policy.yaml is not a file"}},
		{name: "policy misspelt", prep: func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, "etc/kubernetes/audit/policy.yaml"),
				"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metdata\n", 0o600)
		}, wants: []string{"the audit policy does not load"}},
		{name: "policy without rules", prep: func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, "etc/kubernetes/audit/policy.yaml"), "apiVersion: audit.k8s.io/v1\nkind: Policy\n", 0o600)
		}, wants: []string{"no rules"}},
		{name: "policy not mounted", edit: func(s string) string {
			return strings.Replace(s, "        - name: audit-policy\n          mountPath: /etc/kubernetes/audit\n          readOnly: true\n", "", 1)
		}, wants: []string{"--audit-policy-file=/etc/kubernetes/audit/policy.yaml: no hostPath volumeMount"}},
		{name: "log dir read-only", edit: func(s string) string {
			return strings.Replace(s, "        - name: audit-log\n          mountPath: /var/log/kubernetes/audit\n",
				"        - name: audit-log\n          mountPath: /var/log/kubernetes/audit\n          readOnly: true\n", 1)
		}, wants: []string{"is read-only: the API server cannot write the log"}},
		{name: "sidecar reads another file", edit: func(s string) string {
			return strings.Replace(s, "        - name: GOMEMLIMIT\n", "        - name: K8SAUDIT_AUDIT_LOG\n          value: /var/log/kubernetes/audit/other.log\n        - name: GOMEMLIMIT\n", 1)
		}, wants: []string{"kube-apiserver writes /var/log/kubernetes/audit/audit.log"}},
		{name: "key in the pod", edit: func(s string) string {
			return strings.Replace(s, "        - name: GOMEMLIMIT\n", "        - name: K8SAUDIT_API_KEY\n          value: abc\n        - name: GOMEMLIMIT\n", 1)
		}, wants: []string{"K8SAUDIT_API_KEY in the pod's env"}},
		{name: "intake readable by all", prep: func(t *testing.T, root string) {
			os.Chmod(filepath.Join(root, "etc/kubernetes/k8saudit/intake.conf"), 0o644)
		}, wants: []string{"chmod 0600"}},
		{name: "intake without URL", prep: func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, "etc/kubernetes/k8saudit/intake.conf"), "@SET K8SAUDIT_API_KEY=k\n", 0o600)
		}, wants: []string{"sets no K8SAUDIT_URL"}},
		{name: "backup in the manifests directory", prep: func(t *testing.T, root string) {
			b, _ := os.ReadFile(filepath.Join(repoRoot, shipped))
			writeFile(t, filepath.Join(root, "etc/kubernetes/manifests/kube-apiserver.yaml.bak"), string(b), 0o600)
		}, wants: []string{"2 files that define the pod kube-apiserver"}},
		{name: "unknown field", edit: func(s string) string {
			return strings.Replace(s, "      readOnly: true\n", "      readonly: true\n", 1)
		}, wants: []string{"does not decode as a v1 Pod"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := kubeadmNode(t)
			if tc.name != "no setup" {
				setup(t, root)
				writeFile(t, filepath.Join(root, "etc/kubernetes/k8saudit/intake.conf"),
					"@SET K8SAUDIT_URL=https://siem.test/ingest\n@SET K8SAUDIT_API_KEY=k\n", 0o600)
			}
			if tc.prep != nil {
				tc.prep(t, root)
			}
			r := install(t, root, tc.edit)
			for _, w := range tc.wants {
				if len(problemsWith(r, w)) == 0 {
					t.Errorf("no problem mentions %q; problems:\n%s", w, strings.Join(r.Problems, "\n"))
				}
			}
			if tc.name == "no setup" && len(problemsWith(r, stopsPod)) == 0 {
				t.Errorf("a missing policy directory must be reported as stopping the pod")
			}
		})
	}
}

// TestMissingIntakeStopsOnlyTheSidecar: the sidecar's own directories are OrCreate, so that
// a node where the intake directory was never made still runs its API server (the sidecar
// restarts until the file is there).
func TestMissingIntakeStopsOnlyTheSidecar(t *testing.T) {
	root := kubeadmNode(t)
	setup(t, root)
	for _, d := range []string{"etc/kubernetes/k8saudit", "var/lib/k8saudit", "var/log/kubernetes/audit"} {
		if err := os.RemoveAll(filepath.Join(root, d)); err != nil {
			t.Fatal(err)
		}
	}
	r := install(t, root, nil)
	if p := problemsWith(r, "kube-apiserver"); len(p) != 0 {
		t.Errorf("without the sidecar's directories the API server must still start; got:\n%s", strings.Join(p, "\n"))
	}
	if len(problemsWith(r, "intake.conf is missing")) == 0 {
		t.Errorf("the missing intake file must be reported; problems:\n%s", strings.Join(r.Problems, "\n"))
	}
}
