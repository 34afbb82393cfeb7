package deploy

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// section is one [SECTION] of a Fluent Bit configuration (or one entry of a YAML pipeline
// list), with its properties in order; keys are lowercased, as Fluent Bit matches them
// case-insensitively.
type section struct {
	kind  string // service, input, filter, output, plugins
	props [][2]string
	where string // file, for messages
}

// get returns the first value of key, as Fluent Bit's property lookup does.
func (s section) get(key string) (string, bool) {
	for _, kv := range s.props {
		if kv[0] == strings.ToLower(key) {
			return kv[1], true
		}
	}
	return "", false
}

// fbConfig is a parsed configuration: its sections and the @SET variables.
type fbConfig struct {
	sections []section
	vars     map[string]string
}

func (c *fbConfig) of(kind string) []section {
	var out []section
	for _, s := range c.sections {
		if s.kind == kind {
			out = append(out, s)
		}
	}
	return out
}

// resolver gives the text of a file an @INCLUDE names, and a name for messages.
type resolver func(path string) (text, name string, err error)

// parseClassic parses Fluent Bit's classic format the way src/config_format/flb_cf_fluentbit.c
// does: "@INCLUDE file" (relative to the root file's directory) and "@SET K=V" at any line
// start, "[SECTION]" headers, indented "key value" lines, "#" comments. An empty value is an
// error there, and so here.
func parseClassic(text, name string, resolve resolver, c *fbConfig) error {
	if c.vars == nil {
		c.vars = map[string]string{}
	}
	var cur *section
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		where := fmt.Sprintf("%s:%d", name, i+1)
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
			continue
		case len(line) > 9 && strings.EqualFold(line[:9], "@INCLUDE "):
			inc, incName, err := resolve(strings.TrimSpace(line[9:]))
			if err != nil {
				return fmt.Errorf("%s: @INCLUDE: %v", where, err)
			}
			if err := parseClassic(inc, incName, resolve, c); err != nil {
				return err
			}
			cur = nil
			continue
		case len(line) > 5 && strings.EqualFold(line[:5], "@SET "):
			k, v, ok := strings.Cut(strings.TrimSpace(line[5:]), "=")
			if !ok {
				return fmt.Errorf("%s: @SET without '='", where)
			}
			c.vars[strings.TrimSpace(k)] = strings.TrimSpace(v)
			continue
		case strings.HasPrefix(line, "@"):
			return fmt.Errorf("%s: unknown directive %q", where, line)
		case strings.HasPrefix(line, "["):
			end := strings.IndexByte(line, ']')
			if end < 0 {
				return fmt.Errorf("%s: bad header definition", where)
			}
			c.sections = append(c.sections, section{kind: strings.ToLower(line[1:end]), where: where})
			cur = &c.sections[len(c.sections)-1]
			continue
		}
		if line[0] != ' ' && line[0] != '\t' {
			return fmt.Errorf("%s: a property must be indented: %q", where, line)
		}
		if cur == nil {
			return fmt.Errorf("%s: property outside a section", where)
		}
		key, val, ok := strings.Cut(trimmed, " ")
		val = strings.TrimSpace(val)
		if !ok || val == "" {
			return fmt.Errorf("%s: key %q has an empty value", where, key)
		}
		cur.props = append(cur.props, [2]string{strings.ToLower(key), val})
	}
	return nil
}

// parseYAML parses Fluent Bit's YAML format: env, includes, service, plugins and
// pipeline.{inputs,filters,outputs} lists. Scalars become the strings Fluent Bit sees.
func parseYAML(text, name string, resolve resolver, c *fbConfig) error {
	if c.vars == nil {
		c.vars = map[string]string{}
	}
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	for key, v := range doc {
		switch key {
		case "env":
			m, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("%s: env is not a map", name)
			}
			for k, val := range m {
				c.vars[k] = scalar(val)
			}
		case "includes":
			for _, inc := range asList(v) {
				t, n, err := resolve(scalar(inc))
				if err != nil {
					return fmt.Errorf("%s: includes: %v", name, err)
				}
				if err := parseYAML(t, n, resolve, c); err != nil {
					return err
				}
			}
		case "service":
			s, err := yamlSection("service", v, name)
			if err != nil {
				return err
			}
			c.sections = append(c.sections, s)
		case "plugins":
			s := section{kind: "plugins", where: name}
			for _, p := range asList(v) {
				s.props = append(s.props, [2]string{"path", scalar(p)})
			}
			c.sections = append(c.sections, s)
		case "pipeline":
			m, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("%s: pipeline is not a map", name)
			}
			for _, kind := range []string{"inputs", "filters", "outputs"} {
				for i, item := range asList(m[kind]) {
					s, err := yamlSection(strings.TrimSuffix(kind, "s"), item, fmt.Sprintf("%s: pipeline.%s[%d]", name, kind, i))
					if err != nil {
						return err
					}
					c.sections = append(c.sections, s)
				}
				delete(m, kind)
			}
			for k := range m {
				return fmt.Errorf("%s: unknown pipeline key %q", name, k)
			}
		case "parsers", "multiline_parsers", "upstream_servers", "customs":
		default:
			return fmt.Errorf("%s: unknown top-level key %q", name, key)
		}
	}
	return nil
}

func yamlSection(kind string, v any, where string) (section, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return section{}, fmt.Errorf("%s: not a map", where)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := section{kind: kind, where: where}
	for _, k := range keys {
		for _, val := range asList(m[k]) { // a list value becomes repeated properties
			s.props = append(s.props, [2]string{strings.ToLower(k), scalar(val)})
		}
	}
	return s, nil
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

// scalar renders a YAML scalar as the string Fluent Bit reads (YAML 1.1 "on" decodes as a
// boolean here; Fluent Bit's booleans accept "true" as well).
func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expand substitutes ${VAR} as Fluent Bit does: @SET/env-section variables first, then the
// environment (here: env).
func (c *fbConfig) expand(s string, env map[string]string) string {
	return varRef.ReplaceAllStringFunc(s, func(m string) string {
		name := varRef.FindStringSubmatch(m)[1]
		if v, ok := c.vars[name]; ok {
			return v
		}
		return env[name]
	})
}

// hostKeys are the [OUTPUT] keys Fluent Bit keeps for itself: a Go plugin never sees them.
func hostKey(k string) bool {
	switch k {
	case "name", "match", "match_regex", "alias", "workers", "retry_limit", "log_level",
		"log_suppress_interval", "host", "port", "ipv6", "tls":
		return true
	}
	for _, p := range []string{"storage.", "tls.", "net.", "oauth2"} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// parseSize reads a Fluent Bit size (decimal k/m/g, as flb_utils_size_to_bytes).
func parseSize(s string) (int64, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"k", 1e3}, {"m", 1e6}, {"g", 1e9}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n * mult, err
}
