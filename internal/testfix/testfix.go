// Package testfix locates the test fixtures kept in the repository, testdata/fixtures at
// the module root (their provenance is in testdata/fixtures/README.md), so that a plain
// clone runs the same fixture, golden and peer tests as CI; and reads which repository
// packages a folder imports (Imports), for the tests that hold packages to
// docs/architecture.md.
//
// Only _test.go files import it: it imports "testing", and no package that ships in the
// plugin may depend on it. A missing fixture is a failure, never a skip: the files are
// part of the repository, so their absence is a broken checkout, not an optional extra.
package testfix

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// root and rootErr are the fixtures folder and why it was not found, looked up once when
// the test binary starts: go test runs it in the package's directory, below go.mod.
var root, rootErr = find()

func find() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("testfix: %w", err)
	}
	return dirFrom(wd)
}

// Root returns the absolute path of testdata/fixtures at the module root, or "" when it was
// not found; for package-level variables. Tests that read through it call Dir first, which
// fails them with the reason.
func Root() string { return root }

// Dir returns the absolute path of testdata/fixtures at the module root, or fails the test.
func Dir(tb testing.TB) string {
	tb.Helper()
	if rootErr != nil {
		tb.Fatalf("testfix: %v", rootErr)
	}
	return root
}

// Path returns the absolute path of a fixture, e.g. Path(t, "real", "audit2rbac_testdata_demo.log").
func Path(tb testing.TB, parts ...string) string {
	tb.Helper()
	return filepath.Join(append([]string{Dir(tb)}, parts...)...)
}

// Read returns the bytes of a fixture, failing the test when it cannot be read.
func Read(tb testing.TB, parts ...string) []byte {
	tb.Helper()
	b, err := os.ReadFile(Path(tb, parts...))
	if err != nil {
		tb.Fatalf("testfix: %v", err)
	}
	return b
}

// dirFrom walks up from start to the first folder holding go.mod and returns its
// testdata/fixtures, which must exist.
func dirFrom(start string) (string, error) {
	for d := start; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			fix := filepath.Join(d, "testdata", "fixtures")
			st, err := os.Stat(fix)
			if err != nil {
				return "", fmt.Errorf("module root %s has no fixtures: %w", d, err)
			}
			if !st.IsDir() {
				return "", fmt.Errorf("%s is not a folder", fix)
			}
			return fix, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod in %s or above it", start)
		}
		d = parent
	}
}
