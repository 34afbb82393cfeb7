package detect

import "github.com/valyala/fastjson"

// Fields is what a rule reads of one audit event: the members the
// normalizer already extracted (no second parse of the event) and the text
// of its bodies, whose facts are computed only when an enabled rule needs
// them and the event's resource and verb make them possible. Byte slices
// are borrowed from the caller for the duration of Evaluate; string values
// are unescaped. A Fields is reused from event to event by one goroutine
// (it holds the body parser): call Reset before filling it.
type Fields struct {
	Stage, Verb, Decision []byte
	Code                  int64 // responseStatus.code, -1 when absent
	Level, AuditID        []byte

	User   []byte   // user.username
	Groups [][]byte // user.groups
	// Impersonated: the event has an impersonatedUser.
	Impersonated bool
	ImpUser      []byte
	ImpGroups    [][]byte

	Resource, Subresource, Namespace, Name, APIGroup []byte
	RequestURI, UserAgent                            []byte
	SourceIPs                                        [][]byte

	// Time is the event's time (Unix ns), the clock of the stateful
	// windows; 0 when unknown (the stateful rules then skip the event).
	Time int64

	// Request and Response are the bodies as compact valid JSON text, nil
	// when absent (or left out for size).
	Request, Response []byte

	p         fastjson.Parser
	factsDone bool
	factsAll  bool // facts come from a full walk (not the shortcut)
	facts     bodyFacts
	cmdDone   bool
	cmd       []byte // EXEC_CMD (exec.go)
	trust     int8   // identity allowlist: 0 unknown, 1 trusted, -1 not
	ua        uaCache
}

// uaCache remembers K8S-043's verdict on the last user agents seen: a
// stream repeats a handful of clients, and comparing is cheaper than
// scanning.
type uaCache struct {
	text [4][96]byte
	n    [4]uint8
	hit  [4]bool
	next uint8
}

// offensiveUA: the user agent names an offensive or recon tool.
func (f *Fields) offensiveUA() bool {
	ua, c := f.UserAgent, &f.ua
	if len(ua) > len(c.text[0]) {
		return containsAnyFold(ua, &offensiveUA)
	}
	for i := range c.text {
		if int(c.n[i]) == len(ua) && string(c.text[i][:len(ua)]) == string(ua) {
			return c.hit[i]
		}
	}
	i := c.next & 3
	c.next++
	c.n[i] = uint8(copy(c.text[i][:], ua))
	c.hit[i] = containsAnyFold(ua, &offensiveUA)
	return c.hit[i]
}

// Reset empties f for the next event, keeping its own buffers (the
// slices it holds are the caller's, set anew for each event).
func (f *Fields) Reset() {
	f.Stage, f.Verb, f.Decision, f.Code, f.Level, f.AuditID = nil, nil, nil, -1, nil, nil
	f.User, f.Groups, f.Impersonated, f.ImpUser, f.ImpGroups = nil, nil, false, nil, nil
	f.Resource, f.Subresource, f.Namespace, f.Name, f.APIGroup = nil, nil, nil, nil, nil
	f.RequestURI, f.UserAgent, f.SourceIPs, f.Time = nil, nil, nil, 0
	f.Request, f.Response = nil, nil
	f.factsDone, f.factsAll, f.cmdDone, f.cmd, f.trust = false, false, false, f.cmd[:0], 0
	f.facts = bodyFacts{images: f.facts.images[:0]}
}

// Resource classes: which rules an event may match at all.
const (
	cPods uint32 = 1 << iota
	cWorkloads
	cRoles
	cBindings
	cSecrets
	cConfigMaps
	cServices
	cServiceAccounts
	cNodes
	cWebhooks
	cCSR
	cEvents
	cSelfReviews
	cNamespaces

	cPodSpecs = cPods | cWorkloads
)

// class returns the resource class of f (0: none of the above).
func (f *Fields) class() uint32 {
	switch string(f.Resource) {
	case "pods":
		return cPods
	case "deployments", "daemonsets", "statefulsets", "replicasets", "replicationcontrollers", "jobs", "cronjobs":
		return cWorkloads
	case "roles", "clusterroles":
		return cRoles
	case "rolebindings", "clusterrolebindings":
		return cBindings
	case "secrets":
		return cSecrets
	case "configmaps":
		return cConfigMaps
	case "services":
		return cServices
	case "serviceaccounts":
		return cServiceAccounts
	case "nodes":
		return cNodes
	case "mutatingwebhookconfigurations", "validatingwebhookconfigurations":
		return cWebhooks
	case "certificatesigningrequests":
		return cCSR
	case "events":
		return cEvents
	case "selfsubjectrulesreviews", "selfsubjectaccessreviews":
		return cSelfReviews
	case "namespaces":
		return cNamespaces
	}
	return 0
}

// denied: a 401 or 403, or an authorization decision of forbid.
func (f *Fields) denied() bool {
	return f.Code == 401 || f.Code == 403 || string(f.Decision) == "forbid"
}

// allowed: the request was authorized (decision allow, or no decision and
// a 2xx/101 code).
func (f *Fields) allowed() bool {
	switch string(f.Decision) {
	case "allow":
		return true
	case "forbid":
		return false
	}
	return f.Code == 101 || (f.Code >= 200 && f.Code < 300)
}

// ok: allowed and not failed (an admission rejection, a 404, a 409 did not
// change anything); a missing code counts as success.
func (f *Fields) ok() bool {
	return f.allowed() && (f.Code < 0 || f.Code < 400)
}

// anonymous: system:anonymous, or the group system:unauthenticated.
func (f *Fields) anonymous() bool {
	if string(f.User) == "system:anonymous" {
		return true
	}
	for _, g := range f.Groups {
		if string(g) == "system:unauthenticated" {
			return true
		}
	}
	return false
}

func (f *Fields) verbIs(vs ...string) bool {
	for _, v := range vs {
		if string(f.Verb) == v {
			return true
		}
	}
	return false
}

func (f *Fields) writes() bool { return f.verbIs("create", "update", "patch") }

// path is requestURI before '?'.
func (f *Fields) path() []byte {
	for i, c := range f.RequestURI {
		if c == '?' {
			return f.RequestURI[:i]
		}
	}
	return f.RequestURI
}

// loopback: every source IP is a loopback address (none: false).
func (f *Fields) loopback() bool {
	if len(f.SourceIPs) == 0 {
		return false
	}
	for _, ip := range f.SourceIPs {
		if !hasPrefix(ip, "127.") && string(ip) != "::1" {
			return false
		}
	}
	return true
}

// MayReadBody reports whether a rule may read a body of an event on this
// resource: a caller that must render a body to pass it can skip the
// others.
func MayReadBody(resource []byte) bool {
	f := Fields{Resource: resource}
	return f.class()&(cPodSpecs|cRoles|cBindings|cServices|cConfigMaps) != 0
}
