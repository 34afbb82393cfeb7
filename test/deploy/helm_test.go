package deploy

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/k8saudit/k8saudit/internal/testfix"
)

// typedValues are the chart values that the chart passes to the pod as they are: they must
// decode strictly into these Kubernetes types.
var typedValues = map[string]func() any{
	"securityContext":       func() any { return &corev1.SecurityContext{} },
	"podSecurityContext":    func() any { return &corev1.PodSecurityContext{} },
	"tolerations":           func() any { return &[]corev1.Toleration{} },
	"env":                   func() any { return &[]corev1.EnvVar{} },
	"envFrom":               func() any { return &[]corev1.EnvFromSource{} },
	"daemonSetVolumes":      func() any { return &[]corev1.Volume{} },
	"daemonSetVolumeMounts": func() any { return &[]corev1.VolumeMount{} },
	"extraVolumes":          func() any { return &[]corev1.Volume{} },
	"extraVolumeMounts":     func() any { return &[]corev1.VolumeMount{} },
	"initContainers":        func() any { return &[]corev1.Container{} },
	"extraContainers":       func() any { return &[]corev1.Container{} },
	"nodeSelector":          func() any { return &map[string]string{} },
	"resources":             func() any { return &corev1.ResourceRequirements{} },
}

// TestHelmValuesKeysExistInChart walks conf/helm/values.yaml: every key path must exist in
// the chart's defaults (a misspelt key is silently ignored by Helm). Below a default that
// is an empty map ({}: free-form, like config.extraFiles) any key is allowed; lists are
// leaves. Values the chart hands to the pod spec decode strictly into their Kubernetes
// types, and lists that replace a default list keep the default's entries.
func TestHelmValuesKeysExistInChart(t *testing.T) {
	// The fluent/fluent-bit chart's values.yaml (provenance in testdata/fixtures/README.md).
	path := testfix.Path(t, "helm", "fluent-bit-chart-values.yaml")
	b := testfix.Read(t, "helm", "fluent-bit-chart-values.yaml")
	var defaults map[string]any
	if err := yaml.Unmarshal(b, &defaults); err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	ours := helmValues(t)
	var walk func(prefix string, got, def map[string]any)
	walk = func(prefix string, got, def map[string]any) {
		for _, k := range sortedKeys(got) {
			p := prefix + k
			dv, ok := def[k]
			if !ok {
				t.Errorf("conf/helm/values.yaml: %s is not a key of the chart", p)
				continue
			}
			gm, gIsMap := got[k].(map[string]any)
			dm, dIsMap := dv.(map[string]any)
			switch {
			case gIsMap && dIsMap && len(dm) > 0:
				walk(p+".", gm, dm)
			case gIsMap && dv != nil && !dIsMap:
				t.Errorf("conf/helm/values.yaml: %s is a map; the chart's default is %T", p, dv)
			}
		}
	}
	walk("", ours, defaults)

	for key, mk := range typedValues {
		v, ok := ours[key]
		if !ok {
			continue
		}
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		y, _ := yaml.JSONToYAML(j)
		if err := strictInto(y, mk()); err != nil {
			t.Errorf("conf/helm/values.yaml: %s: %v", key, err)
		}
	}
	// Lists replace the default: the chart's own volumes must still be there.
	for _, key := range []string{"daemonSetVolumes", "daemonSetVolumeMounts", "volumeMounts"} {
		got, ok := ours[key].([]any)
		if !ok {
			continue
		}
		seen := map[string]bool{}
		for _, e := range got {
			seen[canonical(e)] = true
		}
		def, _ := defaults[key].([]any)
		for _, e := range def {
			if !seen[canonical(e)] {
				t.Errorf("conf/helm/values.yaml: %s drops the chart's default entry %s (a list value replaces the default)", key, canonical(e))
			}
		}
	}
	// The image the values swap in is the one the Makefile builds.
	img, _ := ours["image"].(map[string]any)
	if got := fmt.Sprintf("%v:%v", img["repository"], img["tag"]); got != makefileImage(t) {
		t.Errorf("conf/helm/values.yaml: image %s; the Makefile's docker target builds %s", got, makefileImage(t))
	}
}

func canonical(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
