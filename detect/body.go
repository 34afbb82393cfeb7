package detect

import "github.com/valyala/fastjson"

// Facts of a body, found by one walk of its tree. The walk is generic: a
// fact is recognized by its key and the key of the member or array that
// holds it (privileged under securityContext, path under hostPath, add
// under capabilities…), wherever it is. So a Pod's spec, a workload's
// spec.template.spec, a CronJob's jobTemplate, ephemeral containers and a
// strategic-merge patch are all read alike; a JSON patch (an array of
// operations) is read by giving each operation's value the last two
// segments of its path as key and parent.

type bodyFacts struct {
	privileged, hostPID, hostIPC, hostNetwork bool
	hostPath, sensitiveHostPath               bool
	dangerousCap                              bool
	ephemeral, containers                     bool
	controllerSA                              bool
	images                                    [][]byte // container images, at most maxImages
	imagesCut                                 bool     // more than maxImages

	clusterAdmin, anonSubject bool
	wildVerbs, wildResources  bool
	wildBoth, sensitiveGrant  bool

	nodePort, configCreds bool
}

const maxImages = 32

// bodyFor picks the body a rule judges: for a patch or update the
// resulting object (responseObject) when present, else what was asked.
func (f *Fields) bodyFor() []byte {
	if (string(f.Verb) == "patch" || string(f.Verb) == "update") && len(f.Response) > 0 && f.Response[0] == '{' {
		return f.Response
	}
	if len(f.Request) > 0 {
		return f.Request
	}
	if string(f.Verb) == "create" && len(f.Response) > 0 && f.Response[0] == '{' {
		return f.Response
	}
	return nil
}

// bodyFacts computes the facts once per event: a body whose text holds
// none of the words a fact of its class needs is not parsed (an escape
// anywhere, which could spell a key otherwise, always parses it).
func (f *Fields) bodyFacts() *bodyFacts { return f.bodyFactsOf(false) }

// allBodyFacts computes the facts without the shortcut: the images.
func (f *Fields) allBodyFacts() *bodyFacts { return f.bodyFactsOf(true) }

func (f *Fields) bodyFactsOf(all bool) *bodyFacts {
	if f.factsDone && (f.factsAll || !all) {
		return &f.facts
	}
	text := f.bodyFor()
	if !all && !f.mayHoldFacts(text) {
		f.factsDone = true
		return &f.facts
	}
	f.factsDone, f.factsAll = true, true
	f.facts = bodyFacts{images: f.facts.images[:0]}
	if len(text) == 0 {
		return &f.facts
	}
	v, err := f.p.ParseBytes(text)
	if err != nil {
		return &f.facts
	}
	if v.Type() == fastjson.TypeArray && isJSONPatch(v) {
		for _, op := range v.GetArray() {
			key, parent := patchPath(op.GetStringBytes("path"))
			if x := op.Get("value"); x != nil {
				f.walk(key, parent, x, 0)
			}
		}
		return &f.facts
	}
	f.walk(nil, nil, v, 0)
	return &f.facts
}

// mayHoldFacts: the body's text holds a word some fact of its class needs.
func (f *Fields) mayHoldFacts(text []byte) bool {
	if len(text) == 0 {
		return false
	}
	if index(text, `\u`) >= 0 {
		return true
	}
	switch f.class() {
	case cPods, cWorkloads:
		return hostKey(text) || index(text, "privileged") >= 0 || index(text, "capabilities") >= 0 ||
			(string(f.Namespace) == "kube-system" && index(text, "erviceAccount") >= 0)
	case cServices:
		return index(text, "NodePort") >= 0
	case cConfigMaps:
		return containsAnyFold(text, &credentialWords)
	}
	return true
}

// hostKey: text has a key (or a JSON patch path segment) hostPID,
// hostIPC, hostNetwork or hostPath; one pass over the occurrences of
// "host" (a pod's status has hostIP).
func hostKey(text []byte) bool {
	for i := index(text, "host"); i >= 0; {
		if i > 0 && (text[i-1] == '"' || text[i-1] == '/') {
			rest := text[i+4:]
			if hasPrefix(rest, "PID") || hasPrefix(rest, "IPC") || hasPrefix(rest, "Network") || hasPrefix(rest, "Path") {
				return true
			}
		}
		j := index(text[i+4:], "host")
		if j < 0 {
			return false
		}
		i += 4 + j
	}
	return false
}

func isJSONPatch(v *fastjson.Value) bool {
	a := v.GetArray()
	return len(a) > 0 && a[0].Type() == fastjson.TypeObject && a[0].Get("op") != nil
}

// patchPath returns the last two segments of a JSON pointer, skipping
// array indices ("0", "-").
func patchPath(p []byte) (key, parent []byte) {
	end := len(p)
	var segs [2][]byte
	n := 0
	for end > 0 && n < 2 {
		i := end - 1
		for i >= 0 && p[i] != '/' {
			i--
		}
		seg := p[i+1 : end]
		end = max(i, 0)
		if len(seg) == 0 || seg[0] == '-' || (seg[0] >= '0' && seg[0] <= '9') {
			continue
		}
		segs[n] = seg
		n++
	}
	return segs[0], segs[1]
}

// maxDepth bounds the walk: pod specs in a CronJob are 8 levels down.
const maxDepth = 24

// walk visits value v found under key, itself a member of parent. An
// array's entries are visited under the array's own key.
func (f *Fields) walk(key, parent []byte, v *fastjson.Value, depth int) {
	if depth > maxDepth {
		return
	}
	fc := &f.facts
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		if o.Get("verbs") != nil {
			f.policyRule(o)
		}
		switch string(key) {
		case "containers", "initContainers", "ephemeralContainers":
			if img := o.Get("image"); img != nil {
				f.addImage(img.GetStringBytes())
			}
		}
		o.Visit(func(k []byte, x *fastjson.Value) {
			f.walk(k, key, x, depth+1)
		})
		return
	case fastjson.TypeArray:
		a, _ := v.Array()
		switch string(key) {
		case "ephemeralContainers":
			fc.ephemeral = fc.ephemeral || len(a) > 0
		case "containers":
			fc.containers = fc.containers || len(a) > 0
		case "add":
			if string(parent) == "capabilities" {
				for _, c := range a {
					f.capability(c.GetStringBytes())
				}
				return
			}
		}
		for _, x := range a {
			f.walk(key, parent, x, depth+1)
		}
		return
	case fastjson.TypeTrue:
		switch string(key) {
		case "privileged":
			fc.privileged = fc.privileged || string(parent) == "securityContext"
		case "hostPID":
			fc.hostPID = true
		case "hostIPC":
			fc.hostIPC = true
		case "hostNetwork":
			fc.hostNetwork = true
		}
		return
	case fastjson.TypeString:
		s, _ := v.StringBytes()
		switch {
		case string(key) == "path" && string(parent) == "hostPath":
			fc.hostPath = true
			fc.sensitiveHostPath = fc.sensitiveHostPath || sensitiveHostPath(s)
		case string(key) == "image" && (string(parent) == "containers" || string(parent) == "initContainers" || string(parent) == "ephemeralContainers"):
			// collected with the container object
		case string(key) == "image" && parent == nil:
			f.addImage(s) // a JSON patch replacing an image
		case string(key) == "serviceAccountName" || string(key) == "serviceAccount":
			fc.controllerSA = fc.controllerSA || hasSuffix(s, "controller")
		case string(key) == "name" && string(parent) == "roleRef":
			fc.clusterAdmin = fc.clusterAdmin || string(s) == "cluster-admin"
		case string(key) == "name" && string(parent) == "subjects":
			switch string(s) {
			case "system:anonymous", "system:unauthenticated", "system:authenticated":
				fc.anonSubject = true
			}
		case string(key) == "type" && string(parent) == "spec":
			fc.nodePort = fc.nodePort || string(s) == "NodePort"
		case string(parent) == "data" || string(parent) == "binaryData":
			fc.configCreds = fc.configCreds || credentialText(key) || credentialText(s)
		case string(key) == "add" && string(parent) == "capabilities":
			f.capability(s) // a JSON patch adding one capability (path …/capabilities/add/-)
		}
	}
}

func (f *Fields) addImage(img []byte) {
	fc := &f.facts
	if len(img) == 0 {
		return
	}
	if len(fc.images) >= maxImages {
		fc.imagesCut = true
		return
	}
	fc.images = append(fc.images, img)
}

// capability notes an added capability; "CAP_" prefixes and case are
// ignored, as the container runtimes ignore them.
func (f *Fields) capability(c []byte) {
	if len(c) > 4 && equalFold(c[:4], "cap_") {
		c = c[4:]
	}
	for _, d := range dangerousCaps {
		if equalFold(c, d) {
			f.facts.dangerousCap = true
			return
		}
	}
}

var dangerousCaps = [...]string{"SYS_ADMIN", "SYS_PTRACE", "SYS_MODULE", "SYS_RAWIO", "SYS_BOOT",
	"DAC_READ_SEARCH", "NET_ADMIN", "BPF", "SYSLOG", "ALL"}

// sensitiveHostPath: a host path that gives the node away (trailing
// slashes ignored).
func sensitiveHostPath(p []byte) bool {
	for len(p) > 1 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	switch string(p) {
	case "/", "/proc", "/root", "/etc", "/etc/kubernetes", "/etc/kubernetes/manifests", "/etc/kubernetes/pki",
		"/var", "/var/run", "/run", "/var/lib/kubelet", "/var/lib/kubelet/pki", "/var/lib/docker",
		"/var/lib/docker/overlay2", "/var/lib/containerd", "/home/admin", "/dev",
		"/var/run/docker.sock", "/run/docker.sock", "/var/run/crio/crio.sock", "/run/crio/crio.sock",
		"/run/containerd/containerd.sock", "/var/run/containerd/containerd.sock",
		"/var/run/cri-dockerd.sock", "/run/cri-dockerd.sock":
		return true
	}
	return false
}

// credentialText: Falco's credential markers in a ConfigMap's data.
func credentialText(s []byte) bool { return containsAnyFold(s, &credentialWords) }

var credentialWords = newPatterns("aws_access_key_id", "aws-access-key-id", "aws_s3_access_key_id",
	"aws-s3-access-key-id", "password", "passphrase")

// policyRule reads one RBAC PolicyRule.
func (f *Fields) policyRule(o *fastjson.Object) {
	fc := &f.facts
	verbs, resources, urls := o.Get("verbs"), o.Get("resources"), o.Get("nonResourceURLs")
	wv, wr := hasString(verbs, "*"), hasString(resources, "*")
	fc.wildVerbs = fc.wildVerbs || wv
	fc.wildResources = fc.wildResources || wr
	fc.wildBoth = fc.wildBoth || (wv && wr)
	write := hasAnyString(verbs, "create", "update", "patch", "delete", "deletecollection")
	read := hasAnyString(verbs, "get", "list", "watch")
	switch {
	case hasAnyString(verbs, "escalate", "bind", "impersonate"):
	case hasAnyString(resources, "pods/exec", "pods/attach", "pods/portforward", "nodes/proxy") && (read || write):
	case write && hasAnyString(resources, "roles", "clusterroles", "rolebindings", "clusterrolebindings",
		"serviceaccounts/token", "daemonsets", "mutatingwebhookconfigurations", "validatingwebhookconfigurations",
		"certificatesigningrequests/approval"):
	case read && hasString(resources, "secrets"):
	case write && urls != nil && len(urls.GetArray()) > 0:
		// a write on a non-resource URL: PUT /debug/flags/v and the like
	default:
		return
	}
	fc.sensitiveGrant = true
}

func hasString(a *fastjson.Value, s string) bool {
	if a == nil {
		return false
	}
	for _, x := range a.GetArray() {
		if string(x.GetStringBytes()) == s {
			return true
		}
	}
	return false
}

func hasAnyString(a *fastjson.Value, ss ...string) bool {
	if a == nil {
		return false
	}
	for _, x := range a.GetArray() {
		b := x.GetStringBytes()
		for _, s := range ss {
			if string(b) == s {
				return true
			}
		}
	}
	return false
}
