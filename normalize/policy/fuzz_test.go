package policy

import (
	"os"
	"path/filepath"
	"testing"
)

// Parse never panics, and what it accepts evaluates without panicking.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(confDir, "*.yaml"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(head + "rules:\n- level: None\n  resources: [{group: '*', resources: ['*/*', 'pods/*', '*']}]\n  verbs: &v [get]\n- level: Request\n  verbs: *v\n"))
	f.Add([]byte(head + "rules:\n- level: Request\n  nonResourceURLs: ['*', '/a*', /b]\n"))
	attrs := []*Attributes{{}}
	for _, r := range fixtures {
		attrs = append(attrs, r.attrs())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yaml", data)
		if err != nil {
			if p != nil {
				t.Fatal("policy and error")
			}
			return
		}
		_ = p.String()
		for _, a := range attrs {
			d := p.Evaluate(a)
			if d.Level > LevelRequestResponse || d.Rule >= p.Len() {
				t.Fatalf("decision out of range: %+v", d)
			}
		}
	})
}
