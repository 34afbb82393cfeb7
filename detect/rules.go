package detect

// The single-event conditions of the catalogue, one function per rule:
// each returns the match's severity (the rule's own, or raised), 0 for no
// match. The engine has already checked the stage, the resource class and
// the allowlists the rule honours (see Rule).

// hit stands for the rule's own severity (the table cannot be read from
// here: it refers to these functions).
const hit Severity = 255

func sev(_ int, ok bool) Severity {
	if ok {
		return hit
	}
	return 0
}

// execLike: a long-running subresource request on a pod, allowed.
func execLike(f *Fields, sub string) bool {
	return string(f.Subresource) == sub && (string(f.Verb) == "create" || string(f.Verb) == "get") && f.allowed() &&
		f.Code != 401 && f.Code != 403
}

func mExec(_ *Engine, f *Fields) Severity   { return sev(0, execLike(f, "exec")) }
func mAttach(_ *Engine, f *Fields) Severity { return sev(1, execLike(f, "attach")) }

func mExecReverseShell(_ *Engine, f *Fields) Severity {
	return sev(2, execLike(f, "exec") && reverseShell(f.execCmd()))
}

func mExecSensitivePath(_ *Engine, f *Fields) Severity {
	return sev(3, execLike(f, "exec") && sensitivePath(f.execCmd()))
}

func mExecMetadata(_ *Engine, f *Fields) Severity {
	return sev(4, execLike(f, "exec") && metadataAccess(f.execCmd()))
}

func mExecDownload(_ *Engine, f *Fields) Severity {
	return sev(5, execLike(f, "exec") && (toolDownload(f.execCmd()) || shellInURI(f.RequestURI)))
}

func mPortForward(_ *Engine, f *Fields) Severity {
	return sev(6, string(f.Subresource) == "portforward" && f.allowed() && f.Code != 401 && f.Code != 403)
}

func mEphemeral(_ *Engine, f *Fields) Severity {
	return sev(7, string(f.Subresource) == "ephemeralcontainers" && (string(f.Verb) == "update" || string(f.Verb) == "patch") && f.ok())
}

// kubeletProxyBenign: the kubelet endpoints monitoring reads.
func kubeletProxyBenign(uri []byte) bool {
	for _, m := range [...]string{"/proxy/metrics", "/proxy/healthz", "/proxy/stats", "/proxy/configz", "/proxy/spec"} {
		if contains(uri, m) {
			return true
		}
	}
	return false
}

func mNodeProxy(_ *Engine, f *Fields) Severity {
	return sev(8, string(f.Subresource) == "proxy" && f.allowed() && !kubeletProxyBenign(f.path()))
}

// podSpecWrite: a write that carries a pod spec: pods (no subresource, or
// ephemeralcontainers) and workloads, created, updated or patched, and
// not refused.
func podSpecWrite(f *Fields) bool {
	if !f.writes() || !f.ok() {
		return false
	}
	return len(f.Subresource) == 0 || string(f.Subresource) == "ephemeralcontainers"
}

func podFact(f *Fields, fact func(*bodyFacts) bool) bool {
	return podSpecWrite(f) && fact(f.bodyFacts())
}

func mPrivileged(_ *Engine, f *Fields) Severity {
	return sev(9, podFact(f, func(b *bodyFacts) bool { return b.privileged }))
}

func mHostPID(_ *Engine, f *Fields) Severity {
	return sev(10, podFact(f, func(b *bodyFacts) bool { return b.hostPID }))
}

func mHostIPC(_ *Engine, f *Fields) Severity {
	return sev(11, podFact(f, func(b *bodyFacts) bool { return b.hostIPC }))
}

func mHostNetwork(_ *Engine, f *Fields) Severity {
	return sev(12, podFact(f, func(b *bodyFacts) bool { return b.hostNetwork }))
}

func mSensitiveMount(_ *Engine, f *Fields) Severity {
	return sev(13, podFact(f, func(b *bodyFacts) bool { return b.sensitiveHostPath }))
}

func mAnyHostPath(_ *Engine, f *Fields) Severity {
	return sev(14, podFact(f, func(b *bodyFacts) bool { return b.hostPath && !b.sensitiveHostPath }))
}

func mCapabilities(_ *Engine, f *Fields) Severity {
	return sev(15, podFact(f, func(b *bodyFacts) bool { return b.dangerousCap }))
}

func kubeNamespace(ns []byte) bool {
	return string(ns) == "kube-system" || string(ns) == "kube-public"
}

func mKubeNamespacePod(_ *Engine, f *Fields) Severity {
	// Mirror pods of static manifests are the kubelet's own.
	return sev(16, string(f.Verb) == "create" && len(f.Subresource) == 0 && kubeNamespace(f.Namespace) && f.ok() &&
		!hasPrefix(f.User, "system:node:") && !coreControlPlane(f.User))
}

func mControllerSA(_ *Engine, f *Fields) Severity {
	return sev(17, string(f.Verb) == "create" && len(f.Subresource) == 0 && string(f.Namespace) == "kube-system" &&
		f.ok() && f.bodyFacts().controllerSA)
}

func mAnonPodWrite(_ *Engine, f *Fields) Severity {
	return sev(18, f.writes() && f.anonymous())
}

func mJobWrite(_ *Engine, f *Fields) Severity {
	return sev(19, (string(f.Resource) == "jobs" || string(f.Resource) == "cronjobs") &&
		f.verbIs("create", "update", "patch", "delete") && f.ok())
}

func mClusterAdminBinding(_ *Engine, f *Fields) Severity {
	return sev(20, f.writes() && f.ok() && f.bodyFacts().clusterAdmin)
}

func mAnonBinding(_ *Engine, f *Fields) Severity {
	return sev(21, f.writes() && f.ok() && f.bodyFacts().anonSubject)
}

func mWildcardRole(_ *Engine, f *Fields) Severity {
	if !f.writes() || !f.ok() {
		return 0
	}
	b := f.bodyFacts()
	switch {
	case b.wildBoth:
		return SevHigh
	case b.wildVerbs || b.wildResources:
		return hit
	}
	return 0
}

func mSensitiveRole(_ *Engine, f *Fields) Severity {
	return sev(23, f.writes() && f.ok() && f.bodyFacts().sensitiveGrant)
}

func mSystemRole(_ *Engine, f *Fields) Severity {
	n := f.Name
	return sev(24, f.verbIs("update", "patch", "delete") && f.ok() && hasPrefix(n, "system:") &&
		string(n) != "system:coredns" && string(n) != "system:managed-certificate-controller")
}

func rbacWrite(f *Fields) bool {
	return string(f.APIGroup) == "rbac.authorization.k8s.io" && f.verbIs("create", "update", "patch", "delete")
}

func mSAWritesRBAC(_ *Engine, f *Fields) Severity {
	return sev(25, rbacWrite(f) && f.ok() && hasPrefix(f.User, "system:serviceaccount:"))
}

func mBindingChange(_ *Engine, f *Fields) Severity {
	return sev(26, rbacWrite(f) && f.ok())
}

func mWebhook(_ *Engine, f *Fields) Severity {
	return sev(27, f.verbIs("create", "update", "patch", "delete") && f.ok())
}

func mCSR(_ *Engine, f *Fields) Severity {
	return sev(28, f.writes() && f.ok())
}

func mTokenRequest(_ *Engine, f *Fields) Severity {
	return sev(29, string(f.Subresource) == "token" && string(f.Verb) == "create" && f.ok())
}

// knownKubeSA: service accounts the control plane and its addons create
// in kube-system and kube-public.
func knownKubeSA(name []byte) bool {
	if hasSuffix(name, "-controller") || hasPrefix(name, "system:") {
		return true
	}
	switch string(name) {
	case "default", "coredns", "kube-dns", "kube-proxy", "bootstrap-signer", "token-cleaner", "generic-garbage-collector",
		"horizontal-pod-autoscaler", "namespace-controller", "persistent-volume-binder", "pv-protection-controller",
		"pvc-protection-controller", "resourcequota-controller", "attachdetach-controller", "certificate-controller",
		"clusterrole-aggregation-controller", "cronjob-controller", "daemon-set-controller", "deployment-controller",
		"disruption-controller", "endpoint-controller", "endpointslice-controller", "expand-controller", "job-controller",
		"node-controller", "pod-garbage-collector", "replicaset-controller", "replication-controller",
		"root-ca-cert-publisher", "service-account-controller", "service-controller", "statefulset-controller",
		"ttl-controller", "ttl-after-finished-controller", "metrics-server", "aws-node", "ebs-csi-controller-sa",
		"konnectivity-agent", "cloud-provider", "storage-provisioner", "kindnet":
		return true
	}
	return false
}

func mKubeNamespaceSA(_ *Engine, f *Fields) Severity {
	return sev(30, string(f.Verb) == "create" && len(f.Subresource) == 0 && kubeNamespace(f.Namespace) &&
		f.Code >= 200 && f.Code < 300 && !knownKubeSA(f.Name))
}

// privilegedIdentity: a name whose impersonation means cluster control.
func privilegedIdentity(u []byte) bool {
	switch string(u) {
	case "admin", "cluster-admin", "kubernetes-admin", "system:admin", "system:anonymous", "system:apiserver",
		"system:kube-controller-manager", "system:kube-scheduler", "system:kube-proxy":
		return true
	}
	return hasPrefix(u, "system:node:") || hasPrefix(u, "system:serviceaccount:kube-system:")
}

func mImpersonation(_ *Engine, f *Fields) Severity {
	if !f.Impersonated || !f.allowed() {
		return 0
	}
	if privilegedIdentity(f.ImpUser) {
		return hit
	}
	for _, g := range f.ImpGroups {
		if string(g) == "system:masters" || string(g) == "cluster-admin" {
			return hit
		}
	}
	return 0
}

func configMapWrite(f *Fields) bool {
	return string(f.Namespace) == "kube-system" && f.verbIs("update", "patch", "delete") && f.ok()
}

func mAWSAuth(_ *Engine, f *Fields) Severity {
	return sev(32, string(f.Name) == "aws-auth" && configMapWrite(f) && string(f.User) != "eks:kms-storage-migrator")
}

func mCoreDNS(_ *Engine, f *Fields) Severity {
	return sev(33, corednsConfig(f.Name) && configMapWrite(f))
}

func mNodePort(_ *Engine, f *Fields) Severity {
	return sev(34, f.writes() && f.ok() && f.bodyFacts().nodePort)
}

func mConfigMapCreds(_ *Engine, f *Fields) Severity {
	return sev(35, f.writes() && f.ok() && f.bodyFacts().configCreds)
}

func mSecretsList(_ *Engine, f *Fields) Severity {
	if string(f.Verb) != "list" || !f.ok() || f.loopback() {
		return 0
	}
	return sev(36, len(f.Namespace) == 0 || string(f.Namespace) == "kube-system" || string(f.Namespace) == "default")
}

// scriptUA: a user agent of a script or generic HTTP client, not kubectl
// or a client-go controller.
func scriptUA(ua []byte) bool {
	for _, p := range [...]string{"curl", "python", "Python", "wget", "Wget", "Go-http-client", "perl", "Perl",
		"java", "Java", "node", "php", "PHP", "PostmanRuntime", "httpie", "HTTPie", "axios", "okhttp", "ruby"} {
		if hasPrefix(ua, p) {
			return true
		}
	}
	return containsFold(ua, "kali")
}

func secretRead(f *Fields) bool {
	return (string(f.Verb) == "get" || string(f.Verb) == "list") && len(f.Subresource) == 0
}

func mSecretScriptUA(_ *Engine, f *Fields) Severity {
	return sev(37, secretRead(f) && f.ok() && scriptUA(f.UserAgent))
}

func mSecretReadBySA(_ *Engine, f *Fields) Severity {
	return sev(38, secretRead(f) && f.ok() && !f.loopback() &&
		(hasPrefix(f.User, "system:serviceaccount:") || hasPrefix(f.User, "system:node:")))
}

func mSecretDenied(_ *Engine, f *Fields) Severity {
	return sev(39, f.verbIs("get", "list", "watch") && f.denied())
}

func mSecretWrite(_ *Engine, f *Fields) Severity {
	return sev(40, f.verbIs("create", "update", "patch", "delete") && !hasPrefix(f.User, "system:") &&
		string(f.Namespace) != "kube-system" && f.Code >= 200 && f.Code < 300)
}

func mSelfReview(_ *Engine, f *Fields) Severity {
	if string(f.APIGroup) != "authorization.k8s.io" || string(f.Verb) != "create" {
		return 0
	}
	if hasPrefix(f.User, "system:serviceaccount:") || hasPrefix(f.User, "system:node:") {
		return SevMedium
	}
	return hit
}

func mOffensiveUA(_ *Engine, f *Fields) Severity {
	if len(f.UserAgent) == 0 || !f.allowed() {
		return 0
	}
	return sev(42, f.offensiveUA())
}

// offensiveUA: user agents of offensive or recon tools.
var offensiveUA = newPatterns("access_matrix", "trufflehog", "azurehound", "micro-scanner", "kube-hunter",
	"peirates", "kubiscan", "kubeletctl", "cdk/", "kubesploit")

// publicPath: the endpoints anonymous requests may read by design.
func publicPath(p []byte) bool {
	return hasPrefix(p, "/healthz") || hasPrefix(p, "/livez") || hasPrefix(p, "/readyz") ||
		string(p) == "/version" || string(p) == "/.well-known/openid-configuration" || string(p) == "/openid/v1/jwks"
}

func mAnonAllowed(_ *Engine, f *Fields) Severity {
	return sev(43, f.anonymous() && f.ok() && !publicPath(f.path()))
}

func mForbiddenCreate(_ *Engine, f *Fields) Severity {
	return sev(44, string(f.Verb) == "create" && string(f.Decision) == "forbid")
}

func mDenied(_ *Engine, f *Fields) Severity {
	return sev(45, f.Code == 401 || f.Code == 403)
}

func mEventsDeleted(_ *Engine, f *Fields) Severity {
	return sev(46, (string(f.Verb) == "delete" || string(f.Verb) == "deletecollection") && f.ok())
}

func mWorkloadDeleted(_ *Engine, f *Fields) Severity {
	switch string(f.Resource) {
	case "deployments", "daemonsets", "statefulsets", "namespaces":
	default:
		return 0
	}
	return sev(47, string(f.Verb) == "delete" && f.ok() && !hasPrefix(f.User, "system:"))
}

func mSidecar(_ *Engine, f *Fields) Severity {
	switch string(f.Resource) {
	case "deployments", "daemonsets", "statefulsets":
	default:
		return 0
	}
	if string(f.Verb) != "patch" || !f.ok() {
		return 0
	}
	// The patch itself, not the resulting object: does it touch containers?
	if len(f.Request) > 0 {
		return sev(48, contains(f.Request, `"containers"`) || contains(f.Request, `/containers`))
	}
	return 0
}

func mAdminIdentity(e *Engine, f *Fields) Severity {
	switch {
	case adminDefault(f.User):
		return hit
	case !e.known.Empty() && !hasPrefix(f.User, "system:") && !f.anonymous() && len(f.User) > 0 && !e.known.match(f.User):
		return hit
	}
	return 0
}

func corednsConfig(n []byte) bool {
	switch string(n) {
	case "coredns", "kube-dns", "coredns-custom":
		return true
	}
	return false
}

// adminDefault: the names installers give the first cluster admin.
func adminDefault(u []byte) bool {
	switch string(u) {
	case "admin", "kubernetes-admin", "minikube-user", "cluster-admin":
		return true
	}
	return hasPrefix(u, "kubernetes-admin@")
}
