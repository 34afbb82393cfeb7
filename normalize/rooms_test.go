package normalize

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestRoomsImport holds the normalizer's rooms and the byte-level packages under them to
// the imports docs/architecture.md allows them: each is a part the Normalizer composes,
// so none may reach another room, the plugin or the intakes. A new dependency is a
// decision to write down there first.
func TestRoomsImport(t *testing.T) {
	const module = "github.com/k8saudit/k8saudit/"
	allowed := map[string][]string{
		".":                    {"detect", "normalize/policy", "normalize/internal/docwriter", "normalize/internal/redact", "normalize/internal/timestamp", "internal/jsonw", "internal/jsonskip"},
		"policy":               {},
		"internal/redact":      {"internal/jsonw"},
		"internal/docwriter":   {"internal/jsonw", "normalize/internal/timestamp"},
		"internal/timestamp":   {},
		"../internal/jsonw":    {},
		"../internal/jsonskip": {"internal/jsonw"},
	}
	for dir, ok := range allowed {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		if len(files) == 0 {
			t.Errorf("%s: no Go files", dir)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range af.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if own, found := strings.CutPrefix(p, module); found && !slices.Contains(ok, own) {
					t.Errorf("%s imports %s (docs/architecture.md allows %v)", f, p, ok)
				}
			}
		}
	}
}
