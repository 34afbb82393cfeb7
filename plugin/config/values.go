package config

import (
	"strconv"
	"strings"
	"time"

	"github.com/k8saudit/k8saudit/plugin/intake"
)

// parseBool and parseSize are the registry's rules (plugin/intake/values.go), which the
// intakes apply to their own keys.
func parseBool(key, v string) (bool, error) { return intake.ParseBool(key, v) }

func parseSize(key, v string) (int, error) { return intake.ParseSize(key, v) }

// parseCount reads a positive whole number.
func parseCount(key, v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return 0, invalid(key, "a positive whole number")
	}
	return n, nil
}

// parseDuration accepts Fluent Bit's time form (a number of seconds with an optional s, m,
// h or d suffix) and Go's duration form (1500ms, 2m30s), so both habits work.
func parseDuration(key, v string) (time.Duration, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	unit := time.Second
	switch {
	case strings.HasSuffix(s, "d"):
		unit, s = 24*time.Hour, strings.TrimSuffix(s, "d")
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n <= 0 || n > 1e6 {
		return 0, invalid(key, "a positive duration: seconds (30), or with a unit (500ms, 30s, 2m)")
	}
	return time.Duration(n * float64(unit)), nil
}

// parseHeaders reads extra headers from one key: Fluent Bit hands a Go plugin only the first
// value of a repeated key, so several headers share one value, separated by commas or
// semicolons, each `Name: value` (or `Name value`, Fluent Bit's own `header` style).
//
// In the `Name: value` form a comma or semicolon starts a new header only when `Name:`
// follows it: values may hold ", " themselves (`Accept: a/b, c/d`, a signature list), and
// splitting them made a bogus second header of the value's tail. The `Name value` form
// has no such marker, so there every separator starts a new header, as before.
func parseHeaders(key, v string) ([][2]string, error) {
	const accepted = "`Name: value` pairs separated by commas, with header names of letters, digits, - and _, and values without control characters"
	var out [][2]string
	colonForm := false
	for i, part := range splitHeaders(v) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		j := strings.IndexAny(part, ": ")
		if j <= 0 {
			return nil, invalid(key, accepted)
		}
		if i == 0 {
			colonForm = part[j] == ':' || strings.HasPrefix(strings.TrimLeft(part[j:], " "), ":")
		}
		if colonForm {
			j = strings.IndexByte(part, ':')
		}
		name, val := strings.TrimSpace(part[:j]), strings.TrimSpace(part[j+1:])
		if !validHeaderName(name) || val == "" || hasControl(val) {
			return nil, invalid(key, accepted)
		}
		out = append(out, [2]string{name, val})
	}
	return out, nil
}

// splitHeaders cuts v at the commas and semicolons that start a header. When the first
// header is in the `Name: value` form, only a separator followed by `Name:` does.
func splitHeaders(v string) []string {
	first := strings.IndexAny(v, ",;")
	if first < 0 {
		return []string{v}
	}
	head := strings.TrimSpace(v[:first])
	j := strings.IndexAny(head, ": ")
	if j <= 0 || !(head[j] == ':' || strings.HasPrefix(strings.TrimLeft(head[j:], " "), ":")) {
		return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' })
	}
	var parts []string
	start := 0
	for i := 0; i < len(v); i++ {
		if (v[i] == ',' || v[i] == ';') && startsHeader(v[i+1:]) {
			parts = append(parts, v[start:i])
			start = i + 1
		}
	}
	return append(parts, v[start:])
}

// startsHeader reports whether s begins, after spaces, with `Name:`.
func startsHeader(s string) bool {
	s = strings.TrimLeft(s, " \t")
	n := 0
	for n < len(s) && isHeaderNameByte(s[n]) {
		n++
	}
	return n > 0 && strings.HasPrefix(strings.TrimLeft(s[n:], " \t"), ":")
}

// hasControl reports a control character (tab aside, which headers allow).
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return true
		}
	}
	return false
}

func isHeaderNameByte(c byte) bool {
	return c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHeaderNameByte(s[i]) {
			return false
		}
	}
	return s != ""
}

func oneOf(key, v string, accepted ...string) (string, error) {
	l := strings.ToLower(strings.TrimSpace(v))
	for _, a := range accepted {
		if l == a {
			return a, nil
		}
	}
	return "", invalid(key, strings.Join(accepted, ", "))
}

// Error is a configuration error; its text names the key and what is accepted, never
// the value (see intake.KeyError, which the intakes return too).
type Error = intake.KeyError

func invalid(key, accepted string) error { return intake.Invalid(key, accepted) }

// minEventBytes is the smallest max_event_bytes: below it even a document without bodies
// could not keep its metadata.
const minEventBytes = 16_000

// parsePaths reads comma-separated dotted body paths (data.password, spec.token): each
// segment a non-empty key without spaces.
func parsePaths(key, v string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		for _, seg := range strings.Split(p, ".") {
			if seg == "" || strings.ContainsAny(seg, " \t\"") {
				return nil, invalid(key, "dotted body paths separated by commas, e.g. data.password,spec.credentials")
			}
		}
		out = append(out, p)
	}
	return out, nil
}
