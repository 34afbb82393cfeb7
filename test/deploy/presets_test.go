package deploy

import (
	"encoding/json"
	"fmt"
	"github.com/k8saudit/k8saudit/internal/testfix"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// kustomization is the part of kustomize's Kustomization the shipped ones use.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Resources  []string `json:"resources"`
	Images     []struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
	} `json:"images"`
	Patches []struct {
		Target struct {
			Kind string `json:"kind"`
			Name string `json:"name"`
		} `json:"target"`
		Patch string `json:"patch"`
	} `json:"patches"`
}

type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

func readKustomization(t *testing.T, dir string) kustomization {
	t.Helper()
	var k kustomization
	b, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := strictInto(b, &k); err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		t.Fatalf("%s: %s %s", dir, k.APIVersion, k.Kind)
	}
	return k
}

// applyOps applies JSON-patch test and replace operations to a decoded document.
func applyOps(doc any, ops []patchOp) error {
	for _, op := range ops {
		parts := strings.Split(strings.TrimPrefix(op.Path, "/"), "/")
		cur := doc
		for i, p := range parts {
			last := i == len(parts)-1
			switch c := cur.(type) {
			case map[string]any:
				if _, ok := c[p]; !ok {
					return fmt.Errorf("%s: no %q", op.Path, p)
				}
				if last {
					if err := setOrTest(op, c[p], func(v any) { c[p] = v }); err != nil {
						return err
					}
					continue
				}
				cur = c[p]
			case []any:
				n, err := strconv.Atoi(p)
				if err != nil || n >= len(c) {
					return fmt.Errorf("%s: no index %q", op.Path, p)
				}
				if last {
					if err := setOrTest(op, c[n], func(v any) { c[n] = v }); err != nil {
						return err
					}
					continue
				}
				cur = c[n]
			default:
				return fmt.Errorf("%s: %q is not a container", op.Path, p)
			}
		}
	}
	return nil
}

func setOrTest(op patchOp, old any, set func(any)) error {
	switch op.Op {
	case "test":
		if canonical(old) != canonical(op.Value) {
			return fmt.Errorf("test %s: %s, want %s", op.Path, canonical(old), canonical(op.Value))
		}
	case "replace":
		set(op.Value)
	default:
		return fmt.Errorf("op %s: only test and replace are expected", op.Op)
	}
	return nil
}

// baseDaemonSet is conf/kubernetes/base/daemonset.yaml's DaemonSet as a tree.
func baseDaemonSet(t *testing.T) map[string]any {
	t.Helper()
	for _, doc := range splitDocs([]byte(readRepo(t, "conf", "kubernetes", "base", "daemonset.yaml"))) {
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			t.Fatal(err)
		}
		if m["kind"] == "DaemonSet" {
			return m
		}
	}
	t.Fatal("no DaemonSet in conf/kubernetes/base/daemonset.yaml")
	return nil
}

// auditLogOf checks that a DaemonSet reads every file of K8SAUDIT_AUDIT_LOG through the
// audit-log hostPath, mounted read-only at the node's own path, and returns the setting.
func auditLogOf(t *testing.T, name string, ds *appsv1.DaemonSet) string {
	t.Helper()
	spec := &ds.Spec.Template.Spec
	c := &spec.Containers[0]
	var logs string
	for _, e := range c.Env {
		if e.Name == "K8SAUDIT_AUDIT_LOG" {
			logs = e.Value
		}
	}
	if logs == "" {
		t.Fatalf("%s: no K8SAUDIT_AUDIT_LOG", name)
	}
	var mount *corev1.VolumeMount
	for i := range c.VolumeMounts {
		if c.VolumeMounts[i].Name == "audit-log" {
			mount = &c.VolumeMounts[i]
		}
	}
	v := volume(spec, "audit-log")
	if mount == nil || v == nil || v.HostPath == nil {
		t.Fatalf("%s: no audit-log hostPath volume and mount", name)
	}
	if !mount.ReadOnly || mount.MountPath != v.HostPath.Path {
		t.Errorf("%s: the audit-log mount must be read-only at the node's own path (%s mounted at %s)", name, v.HostPath.Path, mount.MountPath)
	}
	if v.HostPath.Type == nil || *v.HostPath.Type != corev1.HostPathDirectory {
		t.Errorf("%s: the audit-log hostPath should be type Directory: on a control-plane node it exists, and a missing one should say so", name)
	}
	for _, f := range strings.Split(logs, ",") {
		if !strings.HasPrefix(f, strings.TrimSuffix(mount.MountPath, "/")+"/") {
			t.Errorf("%s: K8SAUDIT_AUDIT_LOG has %s, outside the audit-log mount %s", name, f, mount.MountPath)
		}
	}
	return logs
}

// TestKustomizePresets: conf/kubernetes (kubeadm) and every conf/kubernetes/presets/<name>
// build the DaemonSet of base/ with the audit log of that distribution, consistently (the
// file under the mount, the mount at the hostPath); the image kustomize sets is the
// Makefile's; and, when kubectl is here, kustomize itself builds each one the same way.
func TestKustomizePresets(t *testing.T) {
	base := readKustomization(t, repoPath("conf", "kubernetes", "base"))
	if len(base.Images) != 1 || base.Images[0].NewName+":"+base.Images[0].NewTag != makefileImage(t) ||
		!strings.HasPrefix(makefileImage(t), base.Images[0].Name+":") {
		t.Errorf("conf/kubernetes/base/kustomization.yaml: images %+v; the Makefile builds %s", base.Images, makefileImage(t))
	}
	top := readKustomization(t, repoPath("conf", "kubernetes"))
	if len(top.Resources) != 1 || top.Resources[0] != "base" || len(top.Patches) != 0 {
		t.Errorf("conf/kubernetes/kustomization.yaml should be base/ unchanged (kubeadm), got %+v", top)
	}
	dirs, _ := filepath.Glob(repoPath("conf", "kubernetes", "presets", "*"))
	if len(dirs) == 0 {
		t.Fatal("no presets in conf/kubernetes/presets")
	}
	kubectl, _ := exec.LookPath("kubectl")
	if kubectl == "" {
		t.Log("no kubectl: the overlays are applied by this test only, not by kustomize")
	}
	got := map[string]string{}
	for _, dir := range append([]string{repoPath("conf", "kubernetes")}, dirs...) {
		name := strings.TrimPrefix(dir, repoRoot+"/")
		k := readKustomization(t, dir)
		doc := baseDaemonSet(t)
		for _, p := range k.Patches {
			if p.Target.Kind != "DaemonSet" || p.Target.Name != "k8saudit" {
				t.Errorf("%s: a patch targets %s/%s", name, p.Target.Kind, p.Target.Name)
			}
			var ops []patchOp
			if err := yaml.UnmarshalStrict([]byte(p.Patch), &ops); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if err := applyOps(doc, ops); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		j, _ := json.Marshal(doc)
		var ds appsv1.DaemonSet
		if err := strictInto(j, &ds); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		logs := auditLogOf(t, name, &ds)
		preset := filepath.Base(dir)
		if dir == repoPath("conf", "kubernetes") {
			preset = "kubeadm"
		}
		got[preset] = logs
		if kubectl != "" {
			out, err := exec.Command(kubectl, "kustomize", dir).CombinedOutput()
			if err != nil {
				t.Fatalf("kubectl kustomize %s: %v\n%s", name, err, out)
			}
			for _, want := range []string{"value: " + logs + "\n", "image: " + makefileImage(t) + "\n"} {
				if !strings.Contains(string(out), want) {
					t.Errorf("kubectl kustomize %s: no %q in its output", name, strings.TrimSpace(want))
				}
			}
		}
	}
	// The Helm presets name the same files.
	for preset, logs := range got {
		if h := helmPresetLog(t, preset); h != logs {
			t.Errorf("conf/helm/presets/%s.yaml sets %s; the kustomize preset %s", preset, h, logs)
		}
	}
}

// helmPresetLog is the K8SAUDIT_AUDIT_LOG a Helm preset's k8saudit-paths.conf sets.
func helmPresetLog(t *testing.T, preset string) string {
	t.Helper()
	v := helmPreset(t, preset)
	cfg, _ := v["config"].(map[string]any)
	extra, _ := cfg["extraFiles"].(map[string]any)
	paths, _ := extra["k8saudit-paths.conf"].(string)
	k, val, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(paths), "@SET ")), "=")
	if !ok || k != "K8SAUDIT_AUDIT_LOG" || strings.Contains(val, "\n") {
		t.Fatalf("conf/helm/presets/%s.yaml: k8saudit-paths.conf must be one @SET K8SAUDIT_AUDIT_LOG=..., got %q", preset, paths)
	}
	return val
}

func helmPreset(t *testing.T, preset string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := yaml.UnmarshalStrict([]byte(readRepo(t, "conf", "helm", "presets", preset+".yaml")), &v); err != nil {
		t.Fatalf("conf/helm/presets/%s.yaml: %v", preset, err)
	}
	return v
}

// TestHelmPresets: every preset changes only k8saudit-paths.conf and, for a log outside
// /var/log (which the chart mounts), adds a read-only mount of its directory; its keys are
// the chart's; and the base values' own k8saudit-paths.conf is the kubeadm preset's.
func TestHelmPresets(t *testing.T) {
	files, _ := filepath.Glob(repoPath("conf", "helm", "presets", "*.yaml"))
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".yaml"))
	}
	sort.Strings(names)
	if want := "eks-d,k3s,kops,kubeadm,openshift,rke2,talos"; strings.Join(names, ",") != want {
		t.Errorf("conf/helm/presets: %v, want %s", names, want)
	}
	base := helmValues(t)
	cfg, _ := base["config"].(map[string]any)
	extra, _ := cfg["extraFiles"].(map[string]any)
	if got := extra["k8saudit-paths.conf"]; got != "@SET K8SAUDIT_AUDIT_LOG="+helmPresetLog(t, "kubeadm")+"\n" {
		t.Errorf("conf/helm/values.yaml: k8saudit-paths.conf %q should be the kubeadm preset's", got)
	}
	for _, name := range names {
		v := helmPreset(t, name)
		checkChartKeys(t, "conf/helm/presets/"+name+".yaml", v)
		for k := range v {
			if k != "config" && k != "extraVolumes" && k != "extraVolumeMounts" {
				t.Errorf("conf/helm/presets/%s.yaml: sets %s; a preset sets only the audit log's path and mount", name, k)
			}
		}
		var mounts []corev1.VolumeMount
		var vols []corev1.Volume
		if m, ok := v["extraVolumeMounts"]; ok {
			j, _ := json.Marshal(m)
			if err := strictInto(j, &mounts); err != nil {
				t.Fatalf("%s: extraVolumeMounts: %v", name, err)
			}
			j, _ = json.Marshal(v["extraVolumes"])
			if err := strictInto(j, &vols); err != nil {
				t.Fatalf("%s: extraVolumes: %v", name, err)
			}
		}
		for _, f := range strings.Split(helmPresetLog(t, name), ",") {
			if strings.HasPrefix(f, "/var/log/") {
				continue // the chart's varlog volume
			}
			var ok bool
			for _, m := range mounts {
				for _, vol := range vols {
					if vol.Name == m.Name && vol.HostPath != nil && vol.HostPath.Path == m.MountPath &&
						m.ReadOnly && strings.HasPrefix(f, m.MountPath+"/") {
						ok = true
					}
				}
			}
			if !ok {
				t.Errorf("conf/helm/presets/%s.yaml: %s is outside /var/log and no read-only extraVolumeMount of its hostPath covers it", name, f)
			}
		}
	}
}

// checkChartKeys: every key path of values exists in the chart's defaults.
func checkChartKeys(t *testing.T, file string, values map[string]any) {
	t.Helper()
	b := testfix.Read(t, "helm", "fluent-bit-chart-values.yaml")
	var defaults map[string]any
	if err := yaml.Unmarshal(b, &defaults); err != nil {
		t.Fatal(err)
	}
	var walk func(prefix string, got, def map[string]any)
	walk = func(prefix string, got, def map[string]any) {
		for _, k := range sortedKeys(got) {
			dv, ok := def[k]
			if !ok {
				t.Errorf("%s: %s%s is not a key of the chart", file, prefix, k)
				continue
			}
			if gm, ok := got[k].(map[string]any); ok {
				if dm, ok := dv.(map[string]any); ok && len(dm) > 0 {
					walk(prefix+k+".", gm, dm)
				}
			}
		}
	}
	walk("", values, defaults)
}

// TestREADMEDeploying: the README's deployment sections name files that exist and make
// targets that exist, and its table of audit log paths lists every preset's files.
func TestREADMEDeploying(t *testing.T) {
	readme := readRepo(t, "README.md")
	start, end := strings.Index(readme, "## Deploying"), strings.Index(readme, "## Configuration")
	if start < 0 || end < start {
		t.Fatal("README: no Deploying section before Configuration")
	}
	dep := readme[start:end]
	for _, m := range regexp.MustCompile("(?:conf|build|test)/[A-Za-z0-9_./-]*[A-Za-z0-9_/]").FindAllString(dep, -1) {
		if strings.Contains(m, "build/out") {
			continue // built, not shipped
		}
		if _, err := os.Stat(repoPath(m)); err != nil {
			t.Errorf("README (Deploying) names %s, which does not exist", m)
		}
	}
	makefile := readRepo(t, "Makefile")
	for _, m := range regexp.MustCompile("make ([a-z][a-z-]*)").FindAllStringSubmatch(readme, -1) {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(m[1]) + `:`).MatchString(makefile) {
			t.Errorf("README names make %s; the Makefile has no such target", m[1])
		}
	}
	table := dep[strings.Index(dep, "### Audit log paths"):]
	files, _ := filepath.Glob(repoPath("conf", "helm", "presets", "*.yaml"))
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		for _, p := range strings.Split(helmPresetLog(t, name), ",") {
			if !strings.Contains(table, "`"+p+"`") {
				t.Errorf("README, Audit log paths: %s (preset %s) is not in the table", p, name)
			}
		}
		if !strings.Contains(table, "`"+name+"`") {
			t.Errorf("README, Audit log paths: the preset %s is not in the table", name)
		}
	}
}
