package detect

import (
	"fmt"
	"strings"
)

// Allowlist holds names matched exactly or, for an entry ending in '*', by
// prefix. The zero value matches nothing.
type Allowlist struct {
	exact  []string
	prefix []string
}

// ParseAllowlist reads a comma- or space-separated list of names; an
// entry ending in '*' matches by prefix ("system:node:*"). A bare "*"
// is refused: it would switch the rules it governs off, which
// detect_rules says more plainly.
func ParseAllowlist(s string) (Allowlist, error) {
	var a Allowlist
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if err := a.add(f); err != nil {
			return Allowlist{}, err
		}
	}
	return a, nil
}

func (a *Allowlist) add(e string) error {
	switch {
	case e == "*":
		return fmt.Errorf("allowlist entry %q would allow everything", e)
	case strings.HasSuffix(e, "*"):
		a.prefix = append(a.prefix, strings.TrimSuffix(e, "*"))
	default:
		a.exact = append(a.exact, e)
	}
	return nil
}

// merge adds the entries of b.
func (a *Allowlist) merge(b Allowlist) {
	a.exact = append(a.exact, b.exact...)
	a.prefix = append(a.prefix, b.prefix...)
}

func (a Allowlist) match(b []byte) bool {
	for _, e := range a.exact {
		if string(b) == e {
			return true
		}
	}
	for _, p := range a.prefix {
		if hasPrefix(b, p) {
			return true
		}
	}
	return false
}

// Entries returns the list as it would be written back (for documentation
// and tests).
func (a Allowlist) Entries() []string {
	out := append([]string(nil), a.exact...)
	for _, p := range a.prefix {
		out = append(out, p+"*")
	}
	return out
}

// ParseServiceAccounts reads service accounts as "namespace:name" (or
// "namespace:*") and returns them as the usernames they authenticate as
// (system:serviceaccount:namespace:name).
func ParseServiceAccounts(s string) (Allowlist, error) {
	var a Allowlist
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		f = strings.TrimPrefix(f, "system:serviceaccount:")
		ns, name, ok := strings.Cut(f, ":")
		if !ok || ns == "" || name == "" || strings.HasSuffix(ns, "*") {
			return Allowlist{}, fmt.Errorf("service account %q: want namespace:name or namespace:*", f)
		}
		if err := a.add("system:serviceaccount:" + ns + ":" + name); err != nil {
			return Allowlist{}, err
		}
	}
	return a, nil
}

// DefaultTrustedUsers are the control planes' own identities, trusted by
// the rules that honour the identity allowlist unless
// Options.NoDefaultAllow: Kubernetes' own components, the kube-system
// controllers' service accounts, and the managed providers' identities
// (EKS, AKS, GKE) that Elastic's rules exclude.
var DefaultTrustedUsers = []string{
	"system:kube-controller-manager", "system:kube-scheduler", "system:apiserver",
	"system:node:*", "system:serviceaccount:kube-system:*",
	"eks:*", "aksService", "acsService", "masterclient", "nodeclient",
	"system:gke-*", "system:serviceaccount:gke-managed-system:*", "system:serviceaccount:gke-system:*",
}

// DefaultTrustedImages are image repositories of control-plane components
// (matched on the image without tag or digest), trusted by the pod-spec
// rules unless Options.NoDefaultAllow: kube-proxy and friends run
// privileged on every node.
var DefaultTrustedImages = []string{
	"registry.k8s.io/kube-proxy", "registry.k8s.io/kube-apiserver", "registry.k8s.io/kube-controller-manager",
	"registry.k8s.io/kube-scheduler", "registry.k8s.io/etcd", "registry.k8s.io/coredns/coredns", "registry.k8s.io/pause",
	"k8s.gcr.io/kube-proxy", "k8s.gcr.io/kube-apiserver", "k8s.gcr.io/kube-controller-manager",
	"k8s.gcr.io/kube-scheduler", "k8s.gcr.io/etcd", "k8s.gcr.io/coredns", "k8s.gcr.io/pause",
	"gke.gcr.io/*", "mcr.microsoft.com/oss/kubernetes/*", "mcr.microsoft.com/aks/*",
	"602401143452.dkr.ecr.*", // EKS add-ons' registry (any region)
}

// coreControlPlane: the Kubernetes components that act as themselves.
func coreControlPlane(u []byte) bool {
	switch string(u) {
	case "system:kube-controller-manager", "system:kube-scheduler", "system:apiserver":
		return true
	}
	return false
}

// imageRepo returns an image reference without its tag or digest.
func imageRepo(img []byte) []byte {
	if i := index(img, "@"); i >= 0 {
		img = img[:i]
	}
	slash := -1
	for i := len(img) - 1; i >= 0; i-- {
		if img[i] == '/' {
			slash = i
			break
		}
	}
	for i := len(img) - 1; i > slash; i-- {
		if img[i] == ':' {
			return img[:i]
		}
	}
	return img
}

// imageAllowed: every image of the pod spec is allowlisted (none known: no).
func (a Allowlist) allImages(imgs [][]byte, cut bool) bool {
	if len(imgs) == 0 || cut {
		return false
	}
	for _, img := range imgs {
		if !a.match(imageRepo(img)) && !a.match(img) {
			return false
		}
	}
	return true
}

// Empty reports whether the list has no entry.
func (a Allowlist) Empty() bool { return len(a.exact) == 0 && len(a.prefix) == 0 }
