package redact

import (
	"errors"
	"strconv"
)

// Value replaces every redacted value.
const Value = "[REDACTED]"

// JSON is Value as a JSON string.
const JSON = `"` + Value + `"`

// lastApplied is the annotation kubectl apply writes: for a Secret, the
// whole Secret, data included.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// Path is a compiled body path: object keys from the body's root, "*"
// matching any key, arrays transparent.
type Path []string

// Built-in path sets, by class.
var (
	// A Secret, a list of them (SecretList items, a Table's rows with
	// includeObject=Object or Metadata), and a JSON patch of one (its
	// "value" members).
	secretPaths = []Path{
		{"data", "*"}, {"stringData", "*"}, {"metadata", "annotations", lastApplied},
		{"items", "data", "*"}, {"items", "stringData", "*"}, {"items", "metadata", "annotations", lastApplied},
		{"rows", "object", "data", "*"}, {"rows", "object", "stringData", "*"},
		{"rows", "object", "metadata", "annotations", lastApplied},
		{"value"},
	}
	tokenRequestPaths = []Path{{"status", "token"}}
	tokenReviewPaths  = []Path{{"spec", "token"}}
)

// MaxPaths bounds the user's own paths: with the built-in ones, every path
// has a bit of a uint64.
var MaxPaths = 64 - len(secretPaths) - len(tokenRequestPaths) - len(tokenReviewPaths)

// CheckPaths reports whether paths are acceptable as the user's redact
// paths: at most MaxPaths dotted paths of non-empty keys (see SplitPath for
// a key holding a dot). NewSet panics on paths it refuses.
func CheckPaths(paths []string) error {
	if len(paths) > MaxPaths {
		return errors.New("redact_paths: at most " + strconv.Itoa(MaxPaths) + " paths")
	}
	for _, p := range paths {
		if _, err := SplitPath(p); err != nil {
			return err
		}
	}
	return nil
}

// SplitPath splits a dotted path into its keys. A key holding a dot writes
// it \. and a backslash \\ (data.tls\.key is the key "tls.key" of data);
// a backslash before anything else, a trailing one or an empty key is an
// error. "*" as a whole key matches any key. The error names the path: a
// path is configuration, never a secret.
func SplitPath(p string) (Path, error) {
	var segs Path
	var cur []byte
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '\\':
			if i+1 >= len(p) || p[i+1] != '.' && p[i+1] != '\\' {
				return nil, errors.New("redact_paths: in " + p + ", a backslash must escape '.' or '\\'")
			}
			i++
			cur = append(cur, p[i])
		case '.':
			if len(cur) == 0 {
				return nil, errors.New("redact_paths: empty key in " + p)
			}
			segs = append(segs, string(cur))
			cur = cur[:0]
		default:
			cur = append(cur, c)
		}
	}
	if len(cur) == 0 {
		return nil, errors.New("redact_paths: empty key in " + p)
	}
	return append(segs, string(cur)), nil
}

// Set is a compiled set of paths, one bit each (Paths[i] is bit i), with
// the masks of the user's paths and of each class's built-in paths.
type Set struct {
	Paths                        []Path
	User, Secret, TokReq, TokRev uint64
}

// NewSet compiles the user's paths, and the built-in ones when builtIn
// (the plugin's redact setting). It panics on paths CheckPaths refuses.
func NewSet(user []string, builtIn bool) Set {
	if err := CheckPaths(user); err != nil {
		panic("redact: " + err.Error())
	}
	var s Set
	var ps []Path
	for _, p := range user {
		segs, _ := SplitPath(p) // checked above
		ps = append(ps, segs)
	}
	s.User = s.add(ps)
	if builtIn {
		s.Secret = s.add(secretPaths)
		s.TokReq = s.add(tokenRequestPaths)
		s.TokRev = s.add(tokenReviewPaths)
	}
	return s
}

func (s *Set) add(ps []Path) uint64 {
	var m uint64
	for _, p := range ps {
		m |= 1 << len(s.Paths)
		s.Paths = append(s.Paths, p)
	}
	return m
}

// ClassPaths returns the path bits of the classes in c.
func (s *Set) ClassPaths(c Class) uint64 {
	var m uint64
	if c&Secret != 0 {
		m |= s.Secret
	}
	if c&TokenRequest != 0 {
		m |= s.TokReq
	}
	if c&TokenReview != 0 {
		m |= s.TokRev
	}
	return m
}
