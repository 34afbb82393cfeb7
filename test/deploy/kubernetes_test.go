package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
	"sigs.k8s.io/yaml"
)

// strictInto decodes one YAML document into out, failing on any field the type does not
// have (and on duplicate keys), as `kubectl apply --validate=strict` would.
func strictInto(doc []byte, out any) error {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the object")
	}
	return nil
}

var docSep = regexp.MustCompile(`(?m)^---[ \t]*$`)

// splitDocs splits a multi-document YAML file, dropping documents with only comments.
func splitDocs(b []byte) [][]byte {
	var out [][]byte
	for _, d := range docSep.Split(string(b), -1) {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(d), &m); err == nil && len(m) == 0 {
			continue
		}
		out = append(out, []byte(d))
	}
	return out
}

// kubeObject returns the typed object for a document's apiVersion and kind.
func kubeObject(apiVersion, kind string) (any, bool) {
	switch apiVersion + "/" + kind {
	case "apps/v1/DaemonSet":
		return &appsv1.DaemonSet{}, true
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}, true
	case "v1/Pod":
		return &corev1.Pod{}, true
	case "v1/Secret":
		return &corev1.Secret{}, true
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}, true
	case "v1/ServiceAccount":
		return &corev1.ServiceAccount{}, true
	case "v1/Namespace":
		return &corev1.Namespace{}, true
	case "v1/Service":
		return &corev1.Service{}, true
	}
	return nil, false
}

// TestKubernetesManifestsDecodeStrictly decodes every document of conf/kubernetes/*.yaml
// into its Kubernetes API type with unknown fields as errors, and checks what the
// deployment needs of the pods.
func TestKubernetesManifestsDecodeStrictly(t *testing.T) {
	files, err := filepath.Glob(repoPath("conf", "kubernetes", "*.yaml"))
	base, _ := filepath.Glob(repoPath("conf", "kubernetes", "base", "*.yaml"))
	files = append(files, base...)
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in conf/kubernetes (%v)", err)
	}
	image := makefileImage(t)
	kinds := map[string]int{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range splitDocs(b) {
			name := fmt.Sprintf("%s#%d", filepath.Base(f), i)
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal(doc, &tm); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if tm.Kind == "Kustomization" {
				continue // TestKustomizePresets
			}
			obj, ok := kubeObject(tm.APIVersion, tm.Kind)
			if !ok {
				t.Errorf("%s: no type known to this test for %s %s: add it", name, tm.APIVersion, tm.Kind)
				continue
			}
			if err := strictInto(doc, obj); err != nil {
				t.Errorf("%s (%s): %v", name, tm.Kind, err)
				continue
			}
			kinds[tm.Kind]++
			switch o := obj.(type) {
			case *appsv1.DaemonSet:
				checkDaemonSet(t, name, o, image)
			case *corev1.Pod:
				checkStaticPod(t, name, o, image)
			case *corev1.Namespace:
				// The pod needs hostPath: a warn or audit label stricter than privileged
				// prints a warning on every apply that nothing can fix.
				for k, v := range o.Labels {
					if strings.HasPrefix(k, "pod-security.kubernetes.io/") && !strings.HasSuffix(k, "-version") && v != "privileged" {
						t.Errorf("%s: label %s=%s: the DaemonSet needs the privileged level (hostPath); a stricter warn or audit level only adds noise", name, k, v)
					}
				}
			}
		}
	}
	for _, k := range []string{"DaemonSet", "Pod", "Secret", "Namespace", "ServiceAccount"} {
		if kinds[k] == 0 {
			t.Errorf("no %s among the manifests", k)
		}
	}
}

func k8sauditContainer(t *testing.T, name string, spec *corev1.PodSpec, image string) *corev1.Container {
	t.Helper()
	for i := range spec.Containers {
		c := &spec.Containers[i]
		if strings.HasPrefix(c.Image, "ghcr.io/k8saudit/") {
			if c.Image != image {
				t.Errorf("%s: container %s runs %s; the Makefile's docker target builds %s", name, c.Name, c.Image, image)
			}
			sc := c.SecurityContext
			if sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != 0 || sc.Capabilities == nil ||
				len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" ||
				sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
				sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				t.Errorf("%s: container %s: want uid 0 (the audit log is root's, 0600) with every capability dropped, a read-only root and no privilege escalation", name, c.Name)
			}
			mounts := map[string]corev1.VolumeMount{}
			for _, m := range c.VolumeMounts {
				mounts[m.MountPath] = m
			}
			if m, ok := mounts[auditDir]; !ok || !m.ReadOnly {
				t.Errorf("%s: container %s must mount %s read-only", name, c.Name, auditDir)
			}
			if m, ok := mounts[statePath]; !ok || m.ReadOnly {
				t.Errorf("%s: container %s must mount %s writable (offsets DB, buffer)", name, c.Name, statePath)
			} else if v := volume(spec, m.Name); v == nil || v.HostPath == nil {
				t.Errorf("%s: %s must be a hostPath: an emptyDir loses the offsets and the buffer with the pod", name, statePath)
			}
			return c
		}
	}
	t.Fatalf("%s: no k8saudit container", name)
	return nil
}

func volume(spec *corev1.PodSpec, name string) *corev1.Volume {
	for i := range spec.Volumes {
		if spec.Volumes[i].Name == name {
			return &spec.Volumes[i]
		}
	}
	return nil
}

func checkDaemonSet(t *testing.T, name string, ds *appsv1.DaemonSet, image string) {
	spec := &ds.Spec.Template.Spec
	// Control-plane nodes by the label's key: kubeadm sets it to "", RKE2 and k3s to "true".
	var selects bool
	if a := spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		for _, term := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
			for _, e := range term.MatchExpressions {
				selects = selects || (e.Key == "node-role.kubernetes.io/control-plane" && e.Operator == corev1.NodeSelectorOpExists)
			}
		}
	}
	if !selects || len(spec.NodeSelector) > 0 {
		t.Errorf("%s: the DaemonSet must select control-plane nodes by node-role.kubernetes.io/control-plane Exists (RKE2 and k3s set the value \"true\", kubeadm \"\"), without a nodeSelector", name)
	}
	tolerated := false
	for _, tol := range spec.Tolerations {
		tolerated = tolerated || tol.Key == "node-role.kubernetes.io/control-plane"
	}
	if !tolerated {
		t.Errorf("%s: the DaemonSet must tolerate the control-plane taint", name)
	}
	c := k8sauditContainer(t, name, spec, image)
	var keyFromSecret bool
	for _, e := range c.Env {
		if e.Name == "K8SAUDIT_API_KEY" {
			keyFromSecret = e.Value == "" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil
		}
	}
	if !keyFromSecret {
		t.Errorf("%s: K8SAUDIT_API_KEY must come from a Secret (valueFrom.secretKeyRef)", name)
	}
	if sel := ds.Spec.Selector; sel == nil || sel.MatchLabels["app.kubernetes.io/name"] != ds.Spec.Template.Labels["app.kubernetes.io/name"] {
		t.Errorf("%s: the selector does not match the template's labels", name)
	}
}

func checkStaticPod(t *testing.T, name string, pod *corev1.Pod, image string) {
	spec := &pod.Spec
	c := k8sauditContainer(t, name, spec, image)
	// A static pod may not refer to API objects: the kubelet rejects Secrets, ConfigMaps,
	// service accounts in it.
	for _, ctr := range spec.Containers {
		for _, e := range ctr.Env {
			if e.ValueFrom != nil {
				t.Errorf("%s: container %s: env %s uses valueFrom, which a static pod cannot", name, ctr.Name, e.Name)
			}
		}
		if len(ctr.EnvFrom) > 0 {
			t.Errorf("%s: container %s: envFrom in a static pod", name, ctr.Name)
		}
	}
	for _, v := range spec.Volumes {
		if v.HostPath == nil {
			t.Errorf("%s: volume %s is not a hostPath: a static pod cannot use Secrets or ConfigMaps", name, v.Name)
		}
	}
	if spec.ServiceAccountName != "" {
		t.Errorf("%s: a static pod cannot have a service account", name)
	}
	if strings.Join(c.Args, " ") != "-c /fluent-bit/etc/fluent-bit-static-pod.conf" {
		t.Errorf("%s: the sidecar must run fluent-bit-static-pod.conf (intake settings from the node), got %q", name, c.Args)
	}
	var apiserver *corev1.Container
	for i := range spec.Containers {
		if spec.Containers[i].Name == "kube-apiserver" {
			apiserver = &spec.Containers[i]
		}
	}
	if apiserver == nil {
		t.Fatalf("%s: no kube-apiserver container", name)
	}
	flags := strings.Join(apiserver.Command, " ")
	for _, want := range []string{"--audit-log-path=" + auditDir + "/audit.log", "--audit-policy-file=", "--audit-log-format=json"} {
		if !strings.Contains(flags, want) {
			t.Errorf("%s: kube-apiserver lacks %s", name, want)
		}
	}
}

// TestWebhookKubeconfigDecodesStrictly decodes the API server's --audit-webhook-config-file
// into client-go's kubeconfig type and checks it points at the webhook configuration's
// http input.
func TestWebhookKubeconfigDecodesStrictly(t *testing.T) {
	var kc clientcmdv1.Config
	if err := strictInto([]byte(readRepo(t, "conf", "audit-webhook-kubeconfig.yaml")), &kc); err != nil {
		t.Fatalf("conf/audit-webhook-kubeconfig.yaml: %v", err)
	}
	if kc.Kind != "Config" || kc.APIVersion != "v1" || len(kc.Clusters) != 1 || kc.CurrentContext == "" {
		t.Fatalf("conf/audit-webhook-kubeconfig.yaml: want one cluster and a current context, got %+v", kc)
	}
	server := kc.Clusters[0].Cluster.Server
	for _, name := range []string{"fluent-bit-webhook.conf", "fluent-bit-webhook.yaml"} {
		sc := shippedConf{name: name, yaml: strings.HasSuffix(name, ".yaml"), text: readRepo(t, "conf", name), root: repoPath("conf")}
		c := sc.parse(t)
		out := c.output(t, name)
		match, _ := out.get("match")
		for _, in := range c.of("input") {
			if n, _ := in.get("name"); n != "http" {
				continue
			}
			listen, _ := in.get("listen")
			port, _ := in.get("port")
			// in_http tags a request with its URL path (without the leading '/').
			if want := "http://" + listen + ":" + port + "/" + match; server != want {
				t.Errorf("%s: the kubeconfig's server is %s; the http input and the output's match want %s", name, server, want)
			}
		}
	}
	for _, f := range []string{"audit-webhook-kubeconfig.yaml", "fluent-bit-webhook.conf", "fluent-bit-webhook.yaml"} {
		if !strings.Contains(readRepo(t, "conf", f), "removed in") || !strings.Contains(readRepo(t, "conf", f), "1.19") {
			t.Errorf("conf/%s must say that the dynamic AuditSink backend was removed in Kubernetes 1.19", f)
		}
	}
}
