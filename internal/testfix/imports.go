package testfix

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Module is the repository's module path, with its trailing slash.
const Module = "github.com/k8saudit/k8saudit/"

// Imports returns, for each non-test Go file of dir, the repository packages it imports
// (their paths without Module), so that a test can hold a package to the imports
// docs/architecture.md allows it. A folder without Go files is a failure: a test would
// otherwise pass on a package that moved.
func Imports(tb testing.TB, dir string) map[string][]string {
	tb.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	out := map[string][]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			tb.Fatal(err)
		}
		out[f] = nil
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if own, ok := strings.CutPrefix(p, Module); ok {
				out[f] = append(out[f], own)
			}
		}
	}
	if len(out) == 0 {
		tb.Errorf("%s: no Go files", dir)
	}
	return out
}
