package policy

import (
	"fmt"
	"strings"
)

// Attributes describe one audit event to Evaluate. The byte slices alias the
// parsed event; Evaluate only reads them and keeps none.
type Attributes struct {
	// User is user.username and Groups user.groups: the authenticated
	// caller, never impersonatedUser (the API server evaluates the policy
	// before impersonation). Both empty means no user (a failed
	// authentication logs `"user":{}`): rules with users or userGroups do
	// not match it.
	User   []byte
	Groups [][]byte
	Verb   []byte // verb

	// From objectRef; empty for non-resource requests.
	APIGroup    []byte // objectRef.apiGroup ("" = core)
	Resource    []byte // objectRef.resource
	Subresource []byte // objectRef.subresource
	Namespace   []byte // objectRef.namespace ("" = cluster-scoped)
	Name        []byte // objectRef.name

	// ResourceRequest is true when the event has an objectRef.
	ResourceRequest bool
	// Path is requestURI up to '?', matched by nonResourceURLs.
	Path []byte
	// Stage is the event's stage; empty or unknown is never omitted.
	Stage []byte
	// EventLevel is the event's own level: the result never exceeds it.
	// Empty or unknown caps nothing.
	EventLevel []byte
}

func (a *Attributes) hasUser() bool { return len(a.User) > 0 || len(a.Groups) > 0 }

// Decision is what the policy says about one event.
type Decision struct {
	// Level is the effective level: the lower of the matching rule's level
	// and the event's own level (None when no rule matches).
	Level Level
	// Drop: the event is not shipped (Level None, or its stage is omitted).
	Drop bool
	// OmitManagedFields: remove metadata.managedFields from the bodies kept.
	OmitManagedFields bool
	// OmitStages is the matching rule's omitStages united with the
	// policy's (the policy's alone when no rule matches).
	OmitStages StageSet
	// Rule is the index of the matching rule in the file, -1 for none.
	Rule int
}

// Policy is a compiled audit policy. It is read-only after Load or Parse,
// so one Policy may be shared by any number of goroutines.
type Policy struct {
	name              string
	rules             []rule
	omitStages        StageSet
	omitManagedFields bool
	warnings          []string
}

// Evaluate applies the policy to one event. It does not allocate.
func (p *Policy) Evaluate(a *Attributes) Decision {
	d := Decision{
		Level:             LevelNone,
		Drop:              true,
		OmitManagedFields: p.omitManagedFields,
		OmitStages:        p.omitStages,
		Rule:              -1,
	}
	// The API server evaluates the policy when the request arrives. For a
	// create (other than of a subresource) the name is then unknown, it is
	// in the body; the event's objectRef.name is only filled in from the
	// response later. Evaluating with that name would let resourceNames
	// rules give a ResponseComplete event another level than its
	// RequestReceived one.
	name := a.Name
	if len(a.Subresource) == 0 && string(a.Verb) == "create" {
		name = nil
	}
	for i := range p.rules {
		r := &p.rules[i]
		if !r.matches(a, name) {
			continue
		}
		level := r.level
		// The shipper can only remove: an event logged at Metadata has no
		// bodies to keep, whatever the rule says.
		if ev, ok := ParseLevel(a.EventLevel); ok {
			level = min(level, ev)
		}
		d.Level = level
		d.OmitManagedFields = r.omitManagedFields
		d.OmitStages = r.omitStages
		d.Rule = i
		d.Drop = level == LevelNone
		if st, ok := ParseStage(a.Stage); ok && r.omitStages.Has(st) {
			d.Drop = true
		}
		return d
	}
	return d
}

// Len is the number of rules.
func (p *Policy) Len() int { return len(p.rules) }

// Warnings lists what Kubernetes accepts but is most likely a mistake (a
// '*' in users or verbs, which is literal), as "<file>:<line>: <text>", for
// the caller to log once at start.
func (p *Policy) Warnings() []string { return p.warnings }

// String is a one-line summary for the log, e.g.
// "gce.yaml: 17 rules (None 10, Metadata 2, Request 4, RequestResponse 1), omitStages [], omitManagedFields false".
func (p *Policy) String() string {
	var n [len(levelNames)]int
	for i := range p.rules {
		n[p.rules[i].level]++
	}
	var parts []string
	for l, c := range n {
		if c > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", Level(l), c))
		}
	}
	plural := "s"
	if len(p.rules) == 1 {
		plural = ""
	}
	return fmt.Sprintf("%s: %d rule%s (%s), omitStages [%s], omitManagedFields %t",
		p.name, len(p.rules), plural, strings.Join(parts, ", "), p.omitStages, p.omitManagedFields)
}
