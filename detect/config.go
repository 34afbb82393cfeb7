package detect

import (
	"fmt"
	"strings"
)

// RuleSet is a set of catalogue rules, by index. The zero value stands
// for the default set where an Options takes it; ParseRules("none") is
// the empty set.
type RuleSet struct {
	bits uint64
	set  bool // made by ParseRules, DefaultRules or AllRules: the zero bits mean none
}

// Has reports whether rule i (index in Rules()) is in s.
func (s RuleSet) Has(i int) bool { return i >= 0 && i < len(rules) && s.bits&(1<<i) != 0 }

// HasID reports whether the rule with that id is in s.
func (s RuleSet) HasID(id string) bool { return s.Has(ruleIndex(id)) }

// IDs lists the ids in s, in catalogue order.
func (s RuleSet) IDs() []string {
	var out []string
	for i := range rules {
		if s.Has(i) {
			out = append(out, rules[i].ID)
		}
	}
	return out
}

// Empty reports whether s holds no rule.
func (s RuleSet) Empty() bool { return s.bits == 0 }

// DefaultRules is the core set: the 32 core single-event rules and the
// stateful K8S-S01 and K8S-S03.
func DefaultRules() RuleSet {
	s := RuleSet{set: true}
	for i := range rules {
		if rules[i].Core {
			s.bits |= 1 << i
		}
	}
	return s
}

// AllRules is every rule of the catalogue.
func AllRules() RuleSet { return RuleSet{bits: 1<<len(rules) - 1, set: true} }

// ParseRules reads the detect_rules value: comma- or space-separated
// tokens applied left to right to the default set (DefaultRules):
//
//	core | default   the default set        all | none   every rule, no rule
//	K8S-007 +K8S-007 enable a rule         -K8S-013 !K8S-013   disable one
//	+low -info       enable or disable every rule of a severity
//	>=medium         disable every rule below that severity
//
// Ids and severities are case-insensitive. "none,K8S-001,K8S-010" enables
// only those two. An empty value is the default set.
func ParseRules(spec string) (RuleSet, error) {
	s := DefaultRules()
	for _, tok := range strings.FieldsFunc(spec, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		switch strings.ToLower(tok) {
		case "core", "default":
			s = DefaultRules()
			continue
		case "all":
			s = AllRules()
			continue
		case "none":
			s = RuleSet{set: true}
			continue
		}
		if rest, ok := strings.CutPrefix(tok, ">="); ok {
			sv, ok := ParseSeverity(rest)
			if !ok {
				return RuleSet{}, fmt.Errorf("detect_rules: %q: unknown severity %q (info, low, medium, high, critical)", tok, rest)
			}
			for i := range rules {
				if rules[i].Severity < sv {
					s.bits &^= 1 << i
				}
			}
			continue
		}
		on := true
		name := tok
		switch tok[0] {
		case '+':
			name = tok[1:]
		case '-', '!':
			on, name = false, tok[1:]
		}
		var mask uint64
		if sv, ok := ParseSeverity(name); ok {
			for i := range rules {
				if rules[i].Severity == sv {
					mask |= 1 << i
				}
			}
		} else if i := ruleIndex(name); i >= 0 {
			mask = 1 << i
		} else {
			return RuleSet{}, fmt.Errorf("detect_rules: unknown rule or severity %q", tok)
		}
		if on {
			s.bits |= mask
		} else {
			s.bits &^= mask
		}
	}
	return s, nil
}
