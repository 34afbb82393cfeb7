package normalize

import (
	"slices"
	"testing"

	"github.com/k8saudit/k8saudit/internal/testfix"
)

// TestRoomsImport holds the normalizer's rooms and the byte-level packages under them to
// the imports docs/architecture.md allows them: each is a part the Normalizer composes,
// so none may reach another room, the plugin or the intakes. A new dependency is a
// decision to write down there first.
func TestRoomsImport(t *testing.T) {
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
		for f, imports := range testfix.Imports(t, dir) {
			for _, p := range imports {
				if !slices.Contains(ok, p) {
					t.Errorf("%s imports %s (docs/architecture.md allows %v)", f, p, ok)
				}
			}
		}
	}
}
