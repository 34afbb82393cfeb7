package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/k8saudit/k8saudit/normalize/policy"
)

// Paths inside the k8saudit image (conf/fluent-bit-static-pod.conf and the Dockerfile).
const (
	sidecarIntakeConf = "/etc/kubernetes/k8saudit/intake.conf"
	sidecarStateDir   = "/var/lib/k8saudit"
	// The image's K8SAUDIT_AUDIT_LOG, the file the sidecar tails unless the pod sets it.
	imageAuditLog = "/var/log/kubernetes/audit/audit.log"
	// A placeholder in conf/intake.conf.example.
	exampleKey = "replace-with-the-intake-key"
)

// Report is what Check found: a problem stops the API server or the shipping; a warning is
// worth reading.
type Report struct {
	Problems, Warnings []string
}

func (r *Report) problem(format string, a ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, a...))
}

func (r *Report) warn(format string, a ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, a...))
}

// Check reads the manifest at path and looks the node's files up under root.
func Check(path, root, manifestsDir string) *Report {
	r := &Report{}
	b, err := os.ReadFile(path)
	if err != nil {
		r.problem("%v", err)
		return r
	}
	var pod corev1.Pod
	if err := strictDecode(b, &pod); err != nil {
		r.problem("%s does not decode as a v1 Pod (the kubelet would not run it): %v", path, err)
		return r
	}
	if pod.APIVersion != "v1" || pod.Kind != "Pod" {
		r.problem("%s: apiVersion %q kind %q, want v1 Pod", path, pod.APIVersion, pod.Kind)
		return r
	}
	n := &node{root: root, r: r}
	n.volumes(&pod.Spec)
	api := apiServer(&pod.Spec)
	if api == nil {
		r.problem("%s: no kube-apiserver container", path)
		return r
	}
	logHost := n.apiServerFlags(&pod.Spec, api)
	sidecar := false
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		if c != api && isK8saudit(c) {
			sidecar = true
			n.sidecar(&pod.Spec, c, logHost)
		}
	}
	if !sidecar {
		r.warn("no k8saudit sidecar in %s (fine if a DaemonSet ships the log)", path)
	}
	n.otherStaticPods(manifestsDir, pod.Name)
	return r
}

// strictDecode decodes YAML into out with unknown fields and duplicate keys as errors, and
// field names matched case-sensitively (encoding/json would take "readonly" for readOnly;
// the kubelet silently ignores it, and the mount is writable).
func strictDecode(doc []byte, out any) error {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	strict, err := kjson.UnmarshalStrict(j, out, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

func apiServer(spec *corev1.PodSpec) *corev1.Container {
	for i := range spec.Containers {
		c := &spec.Containers[i]
		if c.Name == "kube-apiserver" || (len(c.Command) > 0 && filepath.Base(c.Command[0]) == "kube-apiserver") {
			return c
		}
	}
	return nil
}

func isK8saudit(c *corev1.Container) bool {
	return strings.Contains(c.Image, "k8saudit") || strings.Contains(strings.Join(c.Args, " "), "fluent-bit-static-pod.conf")
}

// node answers questions about the node's filesystem, under root.
type node struct {
	root string
	r    *Report
}

func (n *node) stat(hostPath string) (os.FileInfo, error) {
	return os.Stat(filepath.Join(n.root, hostPath))
}

// volumes: the kubelet refuses to start the pod, every container of it, while a hostPath
// of a checked type is missing or of another kind.
func (n *node) volumes(spec *corev1.PodSpec) {
	for _, v := range spec.Volumes {
		hp := v.HostPath
		if hp == nil {
			n.r.problem("volume %s is not a hostPath: a static pod can use no Secret, ConfigMap or other API object", v.Name)
			continue
		}
		typ := corev1.HostPathUnset
		if hp.Type != nil {
			typ = *hp.Type
		}
		fi, err := n.stat(hp.Path)
		switch typ {
		case corev1.HostPathDirectory:
			if err != nil || !fi.IsDir() {
				n.r.problem("volume %s: %s is not a directory on the node (type: Directory): the kubelet will not start the pod, kube-apiserver included", v.Name, hp.Path)
			}
		case corev1.HostPathFile:
			if err != nil || !fi.Mode().IsRegular() {
				n.r.problem("volume %s: %s is not a file on the node (type: File): the kubelet will not start the pod, kube-apiserver included", v.Name, hp.Path)
			}
		case corev1.HostPathSocket, corev1.HostPathCharDev, corev1.HostPathBlockDev:
			if err != nil {
				n.r.problem("volume %s: %s does not exist on the node (type: %s): the kubelet will not start the pod", v.Name, hp.Path, typ)
			}
		case corev1.HostPathDirectoryOrCreate, corev1.HostPathFileOrCreate, corev1.HostPathUnset:
		default:
			n.r.problem("volume %s: unknown hostPath type %q", v.Name, typ)
		}
	}
	for _, c := range spec.Containers {
		for _, m := range c.VolumeMounts {
			if volume(spec, m.Name) == nil {
				n.r.problem("container %s mounts volume %s, which the pod does not define", c.Name, m.Name)
			}
		}
	}
}

func volume(spec *corev1.PodSpec, name string) *corev1.Volume {
	for i := range spec.Volumes {
		if spec.Volumes[i].Name == name {
			return &spec.Volumes[i]
		}
	}
	return nil
}

// onNode maps a path inside container c to the node's path through the deepest mount that
// covers it; ok is false when no hostPath mount does (the container cannot see the node's
// file there).
func onNode(spec *corev1.PodSpec, c *corev1.Container, p string) (host string, m *corev1.VolumeMount, ok bool) {
	p = filepath.Clean(p)
	for i := range c.VolumeMounts {
		vm := &c.VolumeMounts[i]
		mp := filepath.Clean(vm.MountPath)
		if p != mp && !strings.HasPrefix(p, mp+"/") {
			continue
		}
		if m != nil && len(filepath.Clean(m.MountPath)) >= len(mp) {
			continue
		}
		v := volume(spec, vm.Name)
		if v == nil || v.HostPath == nil {
			continue
		}
		host = filepath.Join(v.HostPath.Path, vm.SubPath, strings.TrimPrefix(p, mp))
		m = vm
	}
	return host, m, m != nil
}

// flags reads --name=value arguments (kubeadm's form) of the container's command and args.
func flags(c *corev1.Container) map[string]string {
	out := map[string]string{}
	for _, a := range append(append([]string(nil), c.Command...), c.Args...) {
		if k, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(k, "--") {
			out[k[2:]] = v
		}
	}
	return out
}

// apiServerFlags checks the files the API server reads and the audit log it writes; it
// returns the audit log's path on the node ("" when there is none).
func (n *node) apiServerFlags(spec *corev1.PodSpec, api *corev1.Container) string {
	f := flags(api)
	names := make([]string, 0, len(f))
	for k := range f {
		names = append(names, k)
	}
	sort.Strings(names)
	// Every file flag: the API server does not start when it cannot read one.
	for _, k := range names {
		v := f[k]
		if !strings.HasSuffix(k, "file") || !filepath.IsAbs(v) {
			continue
		}
		host, _, ok := onNode(spec, api, v)
		if !ok {
			n.r.problem("kube-apiserver --%s=%s: no hostPath volumeMount of the container covers it: the API server will not find it and will not start", k, v)
			continue
		}
		if fi, err := n.stat(host); err != nil || !fi.Mode().IsRegular() {
			n.r.problem("kube-apiserver --%s=%s: %s is not a file on the node: the API server will not start", k, v, host)
		}
	}
	policyFile, hasPolicy := f["audit-policy-file"]
	logPath := f["audit-log-path"]
	_, webhook := f["audit-webhook-config-file"]
	if !hasPolicy {
		if logPath != "" || webhook {
			n.r.warn("kube-apiserver has an audit backend but no --audit-policy-file: it logs nothing")
		} else {
			n.r.warn("kube-apiserver has no --audit-policy-file: audit logging is off")
		}
	} else if host, _, ok := onNode(spec, api, policyFile); ok {
		if _, err := n.stat(host); err == nil {
			if p, err := policy.Load(filepath.Join(n.root, host)); err != nil {
				n.r.problem("the audit policy does not load (the API server will not start, or will ignore the fields named): %v", err)
			} else {
				for _, w := range p.Warnings() {
					n.r.warn("the audit policy: %s", w)
				}
			}
		}
	}
	if fmt := f["audit-log-format"]; fmt != "" && fmt != "json" {
		n.r.problem("kube-apiserver --audit-log-format=%s: k8saudit reads the json format", fmt)
	}
	switch {
	case logPath == "":
		return ""
	case logPath == "-":
		n.r.warn("kube-apiserver --audit-log-path=-: the audit log goes to the API server's stdout, not to a file a sidecar can read")
		return ""
	case !filepath.IsAbs(logPath):
		n.r.problem("kube-apiserver --audit-log-path=%s: use an absolute path inside a mounted directory", logPath)
		return ""
	}
	host, m, ok := onNode(spec, api, filepath.Dir(logPath))
	switch {
	case !ok:
		n.r.problem("kube-apiserver --audit-log-path=%s: no hostPath volumeMount covers %s: the log would stay inside the container, and fill it", logPath, filepath.Dir(logPath))
		return ""
	case m.ReadOnly:
		n.r.problem("kube-apiserver --audit-log-path=%s: the mount at %s is read-only: the API server cannot write the log", logPath, m.MountPath)
	}
	return filepath.Join(host, filepath.Base(logPath))
}

// sidecar checks the k8saudit container of the static pod.
func (n *node) sidecar(spec *corev1.PodSpec, c *corev1.Container, apiLog string) {
	name := "sidecar " + c.Name
	if strings.HasPrefix(c.Image, "ghcr.io/k8saudit/") {
		n.r.warn("%s: image %s is the project's placeholder name: until a release publishes it, build and push the image to your registry (make docker IMAGE=...) and name it here", name, c.Image)
	}
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			n.r.problem("%s: env %s uses valueFrom: a static pod can read no Secret or ConfigMap", name, e.Name)
		}
		if e.Name == "K8SAUDIT_API_KEY" {
			n.r.problem("%s: K8SAUDIT_API_KEY in the pod's env: the mirror pod shows it to whoever can read pods in kube-system; put it in %s", name, sidecarIntakeConf)
		}
	}
	if len(c.EnvFrom) > 0 {
		n.r.problem("%s: envFrom: a static pod can read no Secret or ConfigMap", name)
	}
	// The file it tails must be the one the API server writes.
	logPath := imageAuditLog
	for _, e := range c.Env {
		if e.Name == "K8SAUDIT_AUDIT_LOG" && e.Value != "" {
			logPath = e.Value
		}
	}
	if host, m, ok := onNode(spec, c, filepath.Dir(logPath)); !ok {
		n.r.problem("%s: it reads %s, but no hostPath volumeMount covers %s", name, logPath, filepath.Dir(logPath))
	} else {
		if !m.ReadOnly {
			n.r.warn("%s: mount the audit log's directory read-only (%s)", name, m.MountPath)
		}
		if got := filepath.Join(host, filepath.Base(logPath)); apiLog != "" && got != apiLog {
			n.r.problem("%s: it reads %s on the node, but kube-apiserver writes %s", name, got, apiLog)
		}
	}
	if _, m, ok := onNode(spec, c, sidecarStateDir); !ok || m.ReadOnly {
		n.r.problem("%s: %s (offsets, buffer, dead letters) must be a writable hostPath mount", name, sidecarStateDir)
	}
	host, _, ok := onNode(spec, c, sidecarIntakeConf)
	if !ok {
		n.r.problem("%s: no hostPath volumeMount covers %s (the intake settings)", name, sidecarIntakeConf)
		return
	}
	fi, err := n.stat(host)
	if err != nil {
		n.r.problem("%s: %s is missing on the node: the sidecar restarts until it exists, and nothing is shipped (install it from conf/intake.conf.example)", name, host)
		return
	}
	if fi.Mode().Perm()&0o077 != 0 {
		n.r.problem("%s: %s is mode %v: it holds the intake key; chmod 0600", name, host, fi.Mode().Perm())
	}
	n.intakeConf(name, host)
}

// intakeConf reads the @SET lines of the sidecar's intake file.
func (n *node) intakeConf(name, host string) {
	b, err := os.ReadFile(filepath.Join(n.root, host))
	if err != nil {
		n.r.problem("%s: %v", name, err)
		return
	}
	set := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if len(l) > 5 && strings.EqualFold(l[:5], "@SET ") {
			k, v, _ := strings.Cut(strings.TrimSpace(l[5:]), "=")
			set[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	switch u := set["K8SAUDIT_URL"]; {
	case u == "" && set["K8SAUDIT_INTAKE"] != "stdout":
		n.r.problem("%s: %s sets no K8SAUDIT_URL: the sidecar stops at start", name, host)
	case strings.Contains(u, ".example.com"):
		n.r.warn("%s: %s still has the example URL %s", name, host, u)
	}
	if set["K8SAUDIT_API_KEY"] == exampleKey {
		n.r.warn("%s: %s still has the example key", name, host)
	}
}

// otherStaticPods: the kubelet runs every file of its manifests directory (except those
// starting with a dot), so a backup copy left there is a second kube-apiserver.
func (n *node) otherStaticPods(dir, podName string) {
	dir = filepath.Join(n.root, dir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	var same []string
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		var obj struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if yaml.Unmarshal(b, &obj) == nil && obj.Kind == "Pod" && obj.Metadata.Name == podName {
			same = append(same, e.Name())
		}
	}
	if len(same) > 1 {
		n.r.problem("%s holds %d files that define the pod %s (%s): the kubelet runs every file there; keep backups elsewhere", dir, len(same), podName, strings.Join(same, ", "))
	}
}
