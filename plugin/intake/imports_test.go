package intake

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/k8saudit/k8saudit/"

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
				for _, b := range bad {
					if strings.HasPrefix(p, module+b) {
						t.Errorf("%s imports %s", f, p)
					}
				}
			}
		}
	}
}
