package policy

// The matching below follows the Kubernetes checker
// (k8s.io/apiserver/pkg/audit/policy/checker.go) step for step; the notes in
// docs/audit-policy-cases.md (repository root) restate it case by case. All
// comparisons are string(b) == s, which the compiler performs without
// converting (and so without allocating).

// matches reports whether r selects the request. name is the object name as
// the API server saw it when it evaluated the policy (see Evaluate).
func (r *rule) matches(a *Attributes, name []byte) bool {
	if len(r.users) > 0 {
		if !a.hasUser() || !containsBytes(r.users, a.User) {
			return false
		}
	}
	if len(r.userGroups) > 0 {
		if !a.hasUser() || !r.anyGroup(a.Groups) {
			return false
		}
	}
	if len(r.verbs) > 0 && !containsBytes(r.verbs, a.Verb) {
		return false
	}
	// A rule about resources or namespaces never matches a non-resource
	// request and vice versa; a rule with neither matches everything.
	if len(r.namespaces) > 0 || len(r.resources) > 0 {
		return r.matchesResource(a, name)
	}
	if len(r.nonResourceURLs) > 0 {
		return r.matchesNonResource(a)
	}
	return true
}

func (r *rule) anyGroup(groups [][]byte) bool {
	for _, g := range groups {
		if containsBytes(r.userGroups, g) {
			return true
		}
	}
	return false
}

func (r *rule) matchesResource(a *Attributes, name []byte) bool {
	if !a.ResourceRequest {
		return false
	}
	// "" in namespaces selects cluster-scoped requests (and cluster-wide
	// lists of namespaced resources), whose namespace is empty.
	if len(r.namespaces) > 0 && !containsBytes(r.namespaces, a.Namespace) {
		return false
	}
	if len(r.resources) == 0 {
		return true
	}
	for i := range r.resources {
		g := &r.resources[i]
		if !g.anyGroup && g.group != string(a.APIGroup) {
			continue
		}
		if len(g.resources) == 0 {
			return true // every resource of the group
		}
		if len(g.names) > 0 && !containsBytes(g.names, name) {
			continue
		}
		for j := range g.resources {
			if g.resources[j].match(a.Resource, a.Subresource) {
				return true
			}
		}
	}
	return false
}

func (rp *resourcePattern) match(res, sub []byte) bool {
	if rp.any || equalsCombined(rp.full, res, sub) {
		return true
	}
	if rp.subOnly && len(sub) > 0 && rp.sub == string(sub) {
		return true
	}
	// "pods/*" compares only the resource, so it matches plain "pods" too:
	// this is what the checker does, although the documentation speaks of
	// subresources only.
	return rp.resOnly && rp.res == string(res)
}

// equalsCombined reports whether want equals "res" (no subresource) or
// "res/sub", without building the combined name.
func equalsCombined(want string, res, sub []byte) bool {
	if len(sub) == 0 {
		return want == string(res)
	}
	n := len(res)
	return len(want) == n+1+len(sub) && want[:n] == string(res) && want[n] == '/' && want[n+1:] == string(sub)
}

func (r *rule) matchesNonResource(a *Attributes) bool {
	if a.ResourceRequest {
		return false
	}
	for i := range r.nonResourceURLs {
		u := &r.nonResourceURLs[i]
		switch {
		case u.any:
			return true
		case u.prefix:
			// A plain prefix, without a segment boundary: "/healthz*"
			// also matches "/healthzfoo", as in Kubernetes.
			if len(a.Path) >= len(u.s) && string(a.Path[:len(u.s)]) == u.s {
				return true
			}
		case u.s == string(a.Path):
			return true
		}
	}
	return false
}

func containsBytes(list []string, b []byte) bool {
	for _, s := range list {
		if s == string(b) {
			return true
		}
	}
	return false
}
