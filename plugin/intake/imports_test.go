package intake

import (
	"os"
	"strings"
	"testing"

	"github.com/k8saudit/k8saudit/internal/testfix"
)

// TestImportsPointDown: the intakes and deliver's core never import a package above them
// (docs/architecture.md): config and instance consume them, not the other way round.
func TestImportsPointDown(t *testing.T) {
	forbidden := map[string][]string{
		"../deliver": {"plugin/intake", "plugin/config", "plugin/instance", "normalize", "detect"},
		".":          {"plugin/config", "plugin/instance", "plugin/intake/"},
	}
	subs, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range subs {
		if d.IsDir() {
			forbidden[d.Name()] = []string{"plugin/config", "plugin/instance"}
		}
	}
	for dir, bad := range forbidden {
		for f, imports := range testfix.Imports(t, dir) {
			for _, p := range imports {
				for _, b := range bad {
					if strings.HasPrefix(p, b) {
						t.Errorf("%s imports %s", f, p)
					}
				}
			}
		}
	}
}
