package detect

import (
	"math/bits"
	"time"
)

// Options configures an Engine. The zero value is the defaults: the core
// rules (DefaultRules), the default trusted identities and images, the
// default windows.
type Options struct {
	// Rules is the enabled set (ParseRules); the zero value means
	// DefaultRules().
	Rules RuleSet

	// Users, Namespaces and Images are allowlists added to the defaults
	// (DefaultTrustedUsers, DefaultTrustedImages; no namespace by
	// default). Users holds usernames, service accounts included
	// (ParseServiceAccounts gives their usernames). A trusted user never
	// raises the rules that honour the identity allowlist (Rule.actor:
	// every rule but the pod-spec ones, K8S-017, K8S-019 and K8S-044); an
	// allowlisted namespace raises nothing; the pod-spec rules and
	// K8S-017 skip a pod spec whose images are all allowlisted.
	Users, Namespaces, Images Allowlist
	// NoDefaultAllow leaves DefaultTrustedUsers and DefaultTrustedImages out.
	NoDefaultAllow bool

	// KnownUsers, when not empty, makes K8S-050 also raise on a
	// non-system user outside it (Falco's "Disallowed K8s User").
	KnownUsers Allowlist

	// Windows of the stateful rules (0: the defaults, 10 minutes for
	// K8S-S01, 5 minutes for K8S-S03).
	DenialWindow, SecretWindow time.Duration
}

// Engine evaluates the enabled rules on events. It is safe for concurrent
// use: its configuration is read-only and its state (the auditID memory
// and the stateful rules' tables, state.go) is behind a mutex taken only by
// events that touch it (a match, a denial, a secret read).
type Engine struct {
	enabled    RuleSet
	byClass    [32]uint64 // enabled single-event rules per resource class bit
	anyClass   uint64     // enabled single-event rules for every event
	users      Allowlist
	namespaces Allowlist
	images     Allowlist
	known      Allowlist
	st         *state
}

// New compiles o into an Engine.
func New(o Options) *Engine {
	e := &Engine{enabled: o.Rules, namespaces: o.Namespaces, known: o.KnownUsers}
	if !e.enabled.set {
		e.enabled = DefaultRules()
	}
	if !o.NoDefaultAllow {
		for _, u := range DefaultTrustedUsers {
			_ = e.users.add(u)
		}
		for _, i := range DefaultTrustedImages {
			_ = e.images.add(i)
		}
	}
	e.users.merge(o.Users)
	e.images.merge(o.Images)
	for i := range rules {
		if !e.enabled.Has(i) || rules[i].match == nil {
			continue
		}
		if rules[i].class == 0 {
			e.anyClass |= 1 << i
			continue
		}
		for c := 0; c < 32; c++ {
			if rules[i].class&(1<<c) != 0 {
				e.byClass[c] |= 1 << i
			}
		}
	}
	e.st = newState(o.DenialWindow, o.SecretWindow)
	return e
}

// Enabled returns the enabled rule set.
func (e *Engine) Enabled() RuleSet { return e.enabled }

// maxMatches bounds the rules one event can match.
const maxMatches = 16

// Matches are the rules an event matched. The zero value is empty; it is
// reused from event to event.
type Matches struct {
	n   int
	idx [maxMatches]uint8
	sev [maxMatches]Severity
}

// Len is the number of matches.
func (m *Matches) Len() int { return m.n }

// Rule returns match i's rule.
func (m *Matches) Rule(i int) *Rule { return &rules[m.idx[i]] }

// Severity returns match i's severity (the rule's, or raised by the event).
func (m *Matches) Severity(i int) Severity { return m.sev[i] }

// Bits is the set of matched rules as a bitmask: bit i set when Rules()[i] matched. The
// catalogue has at most 64 rules (the array below fails to compile otherwise), so one word holds them all
// and a caller counting matches per rule needs no allocation.
func (m *Matches) Bits() uint64 {
	var _ [64 - len(rules)]struct{} // a 65th rule needs a wider mask
	var b uint64
	for i := 0; i < m.n; i++ {
		b |= 1 << m.idx[i]
	}
	return b
}

// Max is the highest severity matched (0 when none).
func (m *Matches) Max() Severity {
	var s Severity
	for i := 0; i < m.n; i++ {
		s = max(s, m.sev[i])
	}
	return s
}

func (m *Matches) add(i int, s Severity) {
	if m.n < maxMatches {
		m.idx[m.n], m.sev[m.n] = uint8(i), s
		m.n++
	}
}

// Evaluate fills out with the rules f matches: none for a stage that is
// not judged, none for an event in an allowlisted namespace, none when
// this auditID already alerted (the second stage of an exec). It makes no
// allocation once f's buffers have grown. The same event evaluated again
// (a chunk flushed again after a retry) gets the same matches.
func (e *Engine) Evaluate(f *Fields, out *Matches) {
	out.n = 0
	if !judgedStage(f) {
		return
	}
	if len(f.Namespace) > 0 && e.namespaces.match(f.Namespace) {
		return
	}
	cls := f.class()
	cands := e.anyClass
	if cls != 0 {
		cands |= e.byClass[bits.TrailingZeros32(cls)]
	}
	for set := cands; set != 0; set &= set - 1 {
		i := bits.TrailingZeros64(set)
		r := &rules[i]
		if r.actor && e.trusted(f) {
			continue
		}
		s := r.match(e, f)
		if s == 0 {
			continue
		}
		if s == hit {
			s = r.Severity
		}
		if r.image && e.trustedImages(f) {
			continue
		}
		out.add(i, s)
	}
	e.stateful(f, cls, out)
	if out.n > 0 && len(f.AuditID) > 0 && e.st.suppressed(f.AuditID, f.Stage) {
		out.n = 0
	}
}

// judgedStage: ResponseComplete (or no stage: a v1beta1 event), and
// ResponseStarted for the long-running subresources and for a 401 (the
// only stage a failed authentication has). RequestReceived has no outcome.
func judgedStage(f *Fields) bool {
	switch string(f.Stage) {
	case "ResponseComplete", "":
		return true
	case "ResponseStarted":
		switch string(f.Subresource) {
		case "exec", "attach", "portforward":
			return true
		}
		return f.Code == 401
	}
	return false
}

func (e *Engine) trusted(f *Fields) bool {
	if f.trust == 0 {
		f.trust = -1
		if e.users.match(f.User) {
			f.trust = 1
		}
	}
	return f.trust > 0
}

// trustedImages: the event carries a pod spec whose images are all
// allowlisted.
func (e *Engine) trustedImages(f *Fields) bool {
	if !f.writes() {
		return false
	}
	b := f.allBodyFacts()
	return e.images.allImages(b.images, b.imagesCut)
}
