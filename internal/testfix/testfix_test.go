package testfix

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDirFromPackageFolder: from this package's folder the walk reaches the module root
// and its fixtures, with the provenance README in place.
func TestDirFromPackageFolder(t *testing.T) {
	d := Dir(t)
	if !filepath.IsAbs(d) || !strings.HasSuffix(d, filepath.Join("testdata", "fixtures")) {
		t.Fatalf("Dir = %q", d)
	}
	if len(Read(t, "README.md")) == 0 {
		t.Fatal("fixtures README is empty")
	}
}

// TestDirFromWithoutFixtures: a module without testdata/fixtures, and a folder with no
// go.mod above it, are errors (the caller fails the test), not an empty path.
func TestDirFromWithoutFixtures(t *testing.T) {
	mod := t.TempDir()
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(mod, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if d, err := dirFrom(sub); err == nil {
		t.Fatalf("dirFrom without fixtures = %q, want an error", d)
	}
	if err := os.MkdirAll(filepath.Join(mod, "testdata", "fixtures"), 0o755); err != nil {
		t.Fatal(err)
	}
	d, err := dirFrom(sub)
	if err != nil || d != filepath.Join(mod, "testdata", "fixtures") {
		t.Fatalf("dirFrom = %q, %v", d, err)
	}
}

// TestRootMatchesDir: the package-level path and the checked one are the same folder.
func TestRootMatchesDir(t *testing.T) {
	if Root() == "" || Root() != Dir(t) {
		t.Fatalf("Root = %q, Dir = %q", Root(), Dir(t))
	}
}
