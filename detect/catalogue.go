package detect

import "strings"

// Severity is a rule's severity, ordered: a higher value is more severe.
type Severity uint8

// Severities; the zero value means no match.
const (
	SevInfo Severity = 1 + iota
	SevLow
	SevMedium
	SevHigh
	SevCritical
)

var sevNames = [...]string{"", "info", "low", "medium", "high", "critical"}

// String is the severity label written next to event.severity.
func (s Severity) String() string {
	if int(s) < len(sevNames) {
		return sevNames[s]
	}
	return ""
}

// Score is the numeric event.severity: Elastic's default risk scores
// (21 low, 47 medium, 73 high, 99 critical), 1 for info.
func (s Severity) Score() int64 {
	return [...]int64{0, 1, 21, 47, 73, 99}[min(int(s), 5)]
}

// ParseSeverity reads a severity label (case-insensitive).
func ParseSeverity(s string) (Severity, bool) {
	for i, n := range sevNames {
		if i > 0 && strings.EqualFold(s, n) {
			return Severity(i), true
		}
	}
	return 0, false
}

// Ruleset is rule.ruleset on every match.
const Ruleset = "k8s-audit-edge"

// Rule is one detection of the catalogue (README, "Detections").
type Rule struct {
	ID, Name   string
	Severity   Severity // the base severity; a match may raise it (K8S-023, K8S-042)
	Level      string   // minimum audit level: Metadata, Request (requestObject) or RequestResponse
	Core       bool     // on by default
	Tactics    []Tactic
	Techniques []Technique
	Reference  string   // rule.reference: the ATT&CK page of the first technique
	Tags       []string // tags: the ruleset, attack.<tactic>, attack.<technique ids>

	class uint32 // resource classes it can match (0: any event)
	actor bool   // honours the identity allowlist
	image bool   // honours the image allowlist (pod specs)
	body  bool   // reads facts of a body
	match func(*Engine, *Fields) Severity
}

// rules is the catalogue, index = bit in the enabled mask. Ids and names
// are this project's (see the README table); conditions are in rules.go.
var rules = [...]Rule{
	{ID: "K8S-001", Name: "Exec into pod", Severity: SevMedium, Level: "Metadata", Core: true, class: cPods, actor: true,
		Tactics: ts(taExecution), Techniques: tt(tContainerAdmin), match: mExec},
	{ID: "K8S-002", Name: "Attach to pod", Severity: SevMedium, Level: "Metadata", Core: true, class: cPods, actor: true,
		Tactics: ts(taExecution), Techniques: tt(tContainerAdmin), match: mAttach},
	{ID: "K8S-003", Name: "Exec: reverse-shell pattern", Severity: SevHigh, Level: "Metadata", Core: true, class: cPods, actor: true,
		Tactics: ts(taExecution), Techniques: tt(tContainerAdmin, tScripting), match: mExecReverseShell},
	{ID: "K8S-004", Name: "Exec: credential or sensitive path access", Severity: SevHigh, Level: "Metadata", Core: true, class: cPods, actor: true,
		Tactics: ts(taExecution, taCredentialAcc), Techniques: tt(tContainerAdmin, tCredsInFiles, tContainerAPI), match: mExecSensitivePath},
	{ID: "K8S-005", Name: "Exec: cloud metadata access", Severity: SevHigh, Level: "Metadata", Core: true, class: cPods, actor: true,
		Tactics: ts(taCredentialAcc, taExecution), Techniques: tt(tMetadataAPI, tContainerAdmin), match: mExecMetadata},
	{ID: "K8S-006", Name: "Exec: tool download or shell via API", Severity: SevMedium, Level: "Metadata", class: cPods, actor: true,
		Tactics: ts(taExecution, taCommandControl), Techniques: tt(tContainerAdmin, tToolTransfer), match: mExecDownload},
	{ID: "K8S-007", Name: "Port-forward to pod", Severity: SevLow, Level: "Metadata", class: cPods, actor: true,
		Tactics: ts(taCommandControl), Techniques: tt(tTunneling), match: mPortForward},
	{ID: "K8S-008", Name: "Ephemeral container added", Severity: SevMedium, Level: "Metadata", Core: true, class: cPods, actor: true,
		Tactics: ts(taExecution, taPrivEsc), Techniques: tt(tContainerAdmin, tEscapeToHost), match: mEphemeral},
	{ID: "K8S-009", Name: "Kubelet API via apiserver proxy", Severity: SevHigh, Level: "Metadata", Core: true, class: cNodes, actor: true,
		Tactics: ts(taPrivEsc, taLateralMovement, taDiscovery), Techniques: tt(tEscapeToHost, tAppAccessToken, tContainerDisc), match: mNodeProxy},
	{ID: "K8S-010", Name: "Privileged container", Severity: SevHigh, Level: "Request", Core: true, class: cPodSpecs, image: true, body: true,
		Tactics: ts(taExecution, taPrivEsc), Techniques: tt(tDeployContainer, tEscapeToHost), match: mPrivileged},
	{ID: "K8S-011", Name: "hostPID pod", Severity: SevHigh, Level: "Request", Core: true, class: cPodSpecs, image: true, body: true,
		Tactics: ts(taPrivEsc, taExecution), Techniques: tt(tEscapeToHost, tDeployContainer), match: mHostPID},
	{ID: "K8S-012", Name: "hostIPC pod", Severity: SevMedium, Level: "Request", Core: true, class: cPodSpecs, image: true, body: true,
		Tactics: ts(taPrivEsc, taExecution), Techniques: tt(tEscapeToHost, tDeployContainer), match: mHostIPC},
	{ID: "K8S-013", Name: "hostNetwork pod", Severity: SevMedium, Level: "Request", Core: true, class: cPodSpecs, image: true, body: true,
		Tactics: ts(taPrivEsc, taExecution), Techniques: tt(tEscapeToHost, tDeployContainer), match: mHostNetwork},
	{ID: "K8S-014", Name: "Sensitive hostPath mount", Severity: SevHigh, Level: "Request", Core: true, class: cPodSpecs, image: true, body: true,
		Tactics: ts(taPrivEsc), Techniques: tt(tEscapeToHost), match: mSensitiveMount},
	{ID: "K8S-015", Name: "Any hostPath mount", Severity: SevLow, Level: "Request", class: cPodSpecs, image: true, body: true,
		Tactics: ts(taPrivEsc), Techniques: tt(tEscapeToHost), match: mAnyHostPath},
	{ID: "K8S-016", Name: "Dangerous capabilities", Severity: SevMedium, Level: "Request", Core: true, class: cPodSpecs, image: true, body: true,
		Tactics: ts(taPrivEsc, taExecution), Techniques: tt(tEscapeToHost, tDeployContainer), match: mCapabilities},
	{ID: "K8S-017", Name: "Pod created in kube-system or kube-public", Severity: SevMedium, Level: "Metadata", Core: true, class: cPods, image: true,
		Tactics: ts(taDefenseEvasion, taExecution), Techniques: tt(tMatchName, tDeployContainer), match: mKubeNamespacePod},
	{ID: "K8S-018", Name: "Pod in kube-system using a controller service account", Severity: SevMedium, Level: "Request", class: cPods, actor: true, image: true, body: true,
		Tactics: ts(taPrivEsc, taPersistence), Techniques: tt(tDefaultAccounts), match: mControllerSA},
	{ID: "K8S-019", Name: "Anonymous pod create, update or patch", Severity: SevHigh, Level: "Metadata", Core: true, class: cPods,
		Tactics: ts(taExecution), Techniques: tt(tDeployContainer), match: mAnonPodWrite},
	{ID: "K8S-020", Name: "CronJob or Job created or modified", Severity: SevLow, Level: "Metadata", class: cWorkloads, actor: true,
		Tactics: ts(taExecution, taPersistence), Techniques: tt(tOrchestrationJob), match: mJobWrite},
	{ID: "K8S-021", Name: "Binding to cluster-admin", Severity: SevHigh, Level: "Request", Core: true, class: cBindings, actor: true, body: true,
		Tactics: ts(taPersistence, taPrivEsc), Techniques: tt(tClusterRoles), match: mClusterAdminBinding},
	{ID: "K8S-022", Name: "Binding grants to anonymous or all authenticated", Severity: SevCritical, Level: "Request", Core: true, class: cBindings, actor: true, body: true,
		Tactics: ts(taPersistence, taPrivEsc, taInitialAccess), Techniques: tt(tClusterRoles, tDefaultAccounts), match: mAnonBinding},
	{ID: "K8S-023", Name: "Role or ClusterRole with wildcard", Severity: SevMedium, Level: "Request", Core: true, class: cRoles, actor: true, body: true,
		Tactics: ts(taPersistence, taPrivEsc), Techniques: tt(tClusterRoles), match: mWildcardRole},
	{ID: "K8S-024", Name: "Sensitive role grant", Severity: SevMedium, Level: "Request", Core: true, class: cRoles, actor: true, body: true,
		Tactics: ts(taPersistence, taPrivEsc), Techniques: tt(tClusterRoles), match: mSensitiveRole},
	{ID: "K8S-025", Name: "System role tampering", Severity: SevMedium, Level: "Metadata", class: cRoles, actor: true,
		Tactics: ts(taPersistence, taDefenseEvasion), Techniques: tt(tAccountManip, tImpairDefenses), match: mSystemRole},
	{ID: "K8S-026", Name: "Service account writes RBAC", Severity: SevMedium, Level: "Metadata", Core: true, class: cRoles | cBindings, actor: true,
		Tactics: ts(taPersistence, taPrivEsc), Techniques: tt(tClusterRoles), match: mSAWritesRBAC},
	{ID: "K8S-027", Name: "RBAC binding change", Severity: SevLow, Level: "Metadata", class: cBindings, actor: true,
		Tactics: ts(taPersistence, taPrivEsc), Techniques: tt(tClusterRoles), match: mBindingChange},
	{ID: "K8S-028", Name: "Admission webhook created or changed", Severity: SevHigh, Level: "Metadata", Core: true, class: cWebhooks, actor: true,
		Tactics: ts(taPersistence, taCredentialAcc), Techniques: tt(tEventTriggered, tContainerAPI), match: mWebhook},
	{ID: "K8S-029", Name: "CSR created or approved by non-system identity", Severity: SevHigh, Level: "Metadata", Core: true, class: cCSR, actor: true,
		Tactics: ts(taPersistence, taPrivEsc), Techniques: tt(tClusterRoles), match: mCSR},
	{ID: "K8S-030", Name: "Service account token minted (TokenRequest)", Severity: SevMedium, Level: "Metadata", Core: true, class: cServiceAccounts, actor: true,
		Tactics: ts(taCredentialAcc), Techniques: tt(tContainerAPI, tStealToken), match: mTokenRequest},
	{ID: "K8S-031", Name: "Service account created in kube namespace", Severity: SevMedium, Level: "Metadata", Core: true, class: cServiceAccounts, actor: true,
		Tactics: ts(taPersistence), Techniques: tt(tCreateAccount), match: mKubeNamespaceSA},
	{ID: "K8S-032", Name: "Impersonation of privileged identity", Severity: SevHigh, Level: "Metadata", Core: true, actor: true,
		Tactics: ts(taPrivEsc, taDefenseEvasion), Techniques: tt(tTokenManip), match: mImpersonation},
	{ID: "K8S-033", Name: "EKS aws-auth config map tampering", Severity: SevHigh, Level: "Metadata", class: cConfigMaps, actor: true,
		Tactics: ts(taPersistence, taPrivEsc), Techniques: tt(tClusterRoles), match: mAWSAuth},
	{ID: "K8S-034", Name: "CoreDNS config modified", Severity: SevHigh, Level: "Metadata", Core: true, class: cConfigMaps, actor: true,
		Tactics: ts(taImpact, taCredentialAcc), Techniques: tt(tStoredData, tAitM), match: mCoreDNS},
	{ID: "K8S-035", Name: "NodePort service exposed", Severity: SevMedium, Level: "Request", Core: true, class: cServices, actor: true, body: true,
		Tactics: ts(taPersistence, taInitialAccess), Techniques: tt(tExternalRemote), match: mNodePort},
	{ID: "K8S-036", Name: "ConfigMap carrying credentials", Severity: SevMedium, Level: "Request", class: cConfigMaps, actor: true, body: true,
		Tactics: ts(taCredentialAcc), Techniques: tt(tCredsInFiles), match: mConfigMapCreds},
	{ID: "K8S-037", Name: "Secrets listed cluster-wide or in kube-system/default", Severity: SevHigh, Level: "Metadata", Core: true, class: cSecrets, actor: true,
		Tactics: ts(taCredentialAcc, taDiscovery), Techniques: tt(tContainerAPI, tContainerDisc), match: mSecretsList},
	{ID: "K8S-038", Name: "Secret read with scripting or HTTP-client user agent", Severity: SevHigh, Level: "Metadata", Core: true, class: cSecrets, actor: true,
		Tactics: ts(taCredentialAcc), Techniques: tt(tContainerAPI), match: mSecretScriptUA},
	{ID: "K8S-039", Name: "Secret read by node or pod service account from network", Severity: SevMedium, Level: "Metadata", class: cSecrets, actor: true,
		Tactics: ts(taCredentialAcc), Techniques: tt(tContainerAPI), match: mSecretReadBySA},
	{ID: "K8S-040", Name: "Secret access denied", Severity: SevLow, Level: "Metadata", class: cSecrets, actor: true,
		Tactics: ts(taCredentialAcc), Techniques: tt(tContainerAPI), match: mSecretDenied},
	{ID: "K8S-041", Name: "Secret created, modified or deleted by non-system identity", Severity: SevLow, Level: "Metadata", class: cSecrets, actor: true,
		Tactics: ts(taCredentialAcc), Techniques: tt(tContainerAPI), match: mSecretWrite},
	{ID: "K8S-042", Name: "Permission self-enumeration", Severity: SevLow, Level: "Metadata", Core: true, class: cSelfReviews, actor: true,
		Tactics: ts(taDiscovery), Techniques: tt(tCloudGroups, tCloudAccount, tContainerDisc), match: mSelfReview},
	{ID: "K8S-043", Name: "Known offensive or recon tool user agent", Severity: SevMedium, Level: "Metadata", actor: true,
		Tactics: ts(taDiscovery), Techniques: tt(tContainerDisc), match: mOffensiveUA},
	{ID: "K8S-044", Name: "Anonymous request allowed", Severity: SevHigh, Level: "Metadata", Core: true,
		Tactics: ts(taInitialAccess, taPersistence), Techniques: tt(tDefaultAccounts), match: mAnonAllowed},
	{ID: "K8S-045", Name: "Forbidden create", Severity: SevLow, Level: "Metadata", actor: true,
		Tactics: ts(taDiscovery), Techniques: tt(tContainerDisc), match: mForbiddenCreate},
	{ID: "K8S-046", Name: "Unauthorized or forbidden request", Severity: SevInfo, Level: "Metadata", actor: true,
		Tactics: ts(taInitialAccess), Techniques: tt(tValidAccounts), match: mDenied},
	{ID: "K8S-047", Name: "Events deleted", Severity: SevMedium, Level: "Metadata", Core: true, class: cEvents, actor: true,
		Tactics: ts(taDefenseEvasion), Techniques: tt(tIndicatorRemoval), match: mEventsDeleted},
	{ID: "K8S-048", Name: "Workload or namespace deleted", Severity: SevLow, Level: "Metadata", class: cWorkloads | cNamespaces, actor: true,
		Tactics: ts(taImpact), Techniques: tt(tDataDestruction), match: mWorkloadDeleted},
	{ID: "K8S-049", Name: "Sidecar injection or live workload patch", Severity: SevLow, Level: "Request", class: cWorkloads, actor: true, body: true,
		Tactics: ts(taExecution), Techniques: tt(tDeployContainer, tContainerAdmin), match: mSidecar},
	{ID: "K8S-050", Name: "Admin-default identity used or user not allowlisted", Severity: SevLow, Level: "Metadata", actor: true,
		Tactics: ts(taInitialAccess, taPersistence), Techniques: tt(tDefaultAccounts), match: mAdminIdentity},
	// Stateful (state.go): evaluated by the engine, not by match.
	{ID: "K8S-S01", Name: "Burst of denials by one identity", Severity: SevMedium, Level: "Metadata", Core: true, actor: true,
		Tactics: ts(taDiscovery, taInitialAccess), Techniques: tt(tContainerDisc, tValidAccounts)},
	{ID: "K8S-S03", Name: "Rapid secret harvesting", Severity: SevHigh, Level: "Metadata", Core: true, class: cSecrets, actor: true,
		Tactics: ts(taCredentialAcc), Techniques: tt(tContainerAPI)},
}

// Indices of the stateful rules.
const (
	iS01 = len(rules) - 2
	iS03 = len(rules) - 1
)

func ts(t ...Tactic) []Tactic       { return t }
func tt(t ...Technique) []Technique { return t }

func init() {
	for i := range rules {
		r := &rules[i]
		r.Reference = reference(r.Techniques[0])
		r.Tags = append(r.Tags, Ruleset)
		for _, t := range r.Tactics {
			r.Tags = appendUniq(r.Tags, "attack."+strings.ReplaceAll(strings.ToLower(t.Name), " ", "_"))
		}
		for _, t := range r.Techniques {
			r.Tags = appendUniq(r.Tags, "attack."+strings.ToLower(t.ID))
			if t.SubID != "" {
				r.Tags = appendUniq(r.Tags, "attack."+strings.ToLower(t.SubID))
			}
		}
	}
}

func appendUniq(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// Rules returns the catalogue, in id order (stateful rules last). The
// slice is shared: do not modify it.
func Rules() []Rule { return rules[:] }

// Lookup returns the rule with the given id (case-insensitive).
func Lookup(id string) (*Rule, bool) {
	i := ruleIndex(id)
	if i < 0 {
		return nil, false
	}
	return &rules[i], true
}

func ruleIndex(id string) int {
	for i := range rules {
		if strings.EqualFold(rules[i].ID, id) {
			return i
		}
	}
	return -1
}
