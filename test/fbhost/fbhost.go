// Package fbhost finds the real Fluent Bit the end-to-end tests run the plugin in, and applies
// the suite's rule when there is none.
//
// Order: $FLUENT_BIT, then fluent-bit on PATH, then ../shared/tools/fluent-bit/ensure
// (relative to the repository root) when that script exists; ensure prints the path of a
// working fluent-bit. No Fluent Bit binary or source is part of this repository.
//
// The rule: under CI (CI=true) a missing Fluent Bit fails the run loudly; elsewhere (a
// user's `make test` on a machine without one) the real-host tests skip with a one-line
// reason. `make test` runs ./test/fbhost/which once, prints the Fluent Bit it found and
// hands its path to every test package through FLUENT_BIT.
package fbhost

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Found is the outcome of Find.
type Found struct {
	Path    string // the fluent-bit binary; empty when none was found
	From    string // how it was found, for messages
	Version string // first line of `fluent-bit --version`
	Err     error  // why none was found (or why the one found does not run)
}

// ensureTimeout bounds ensure, which may build Fluent Bit from source (about 30 minutes on
// 2 cores when nothing is cached).
const ensureTimeout = 45 * time.Minute

// Find looks for Fluent Bit in the documented order. root is the repository root.
func Find(root string) Found {
	var f Found
	switch {
	case os.Getenv("FLUENT_BIT") != "":
		f.Path, f.From = os.Getenv("FLUENT_BIT"), "FLUENT_BIT"
	default:
		if p, err := exec.LookPath("fluent-bit"); err == nil {
			f.Path, f.From = p, "fluent-bit on PATH"
			break
		}
		ensure := filepath.Join(root, "..", "shared", "tools", "fluent-bit", "ensure")
		if _, err := os.Stat(ensure); err != nil {
			f.Err = fmt.Errorf("no Fluent Bit: FLUENT_BIT is not set, fluent-bit is not on PATH and %s does not exist", ensure)
			return f
		}
		ctx, cancel := context.WithTimeout(context.Background(), ensureTimeout)
		defer cancel()
		var stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, ensure)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			f.Err = fmt.Errorf("no Fluent Bit: %s failed: %w: %s", ensure, err, strings.TrimSpace(tailOf(stderr.String(), 500)))
			return f
		}
		f.Path, f.From = strings.TrimSpace(string(out)), "../shared/tools/fluent-bit/ensure"
	}
	out, err := exec.Command(f.Path, "--version").CombinedOutput()
	if err != nil {
		//lint:ignore ST1005 Fluent Bit is a name
		f.Err = fmt.Errorf("Fluent Bit %s (from %s) does not run: %w", f.Path, f.From, err)
		if msg := strings.TrimSpace(string(out)); msg != "" {
			f.Err = fmt.Errorf("%w: %s", f.Err, msg)
		}
		return f
	}
	f.Version, _, _ = strings.Cut(strings.TrimSpace(string(out)), "\n")
	return f
}

// CI reports whether the run is a CI run (CI=true), where a missing Fluent Bit is an error.
func CI() bool { return strings.EqualFold(os.Getenv("CI"), "true") }

// String is the one line `make test` prints.
func (f Found) String() string {
	if f.Err != nil {
		return f.Err.Error()
	}
	return fmt.Sprintf("%s at %s (from %s)", f.Version, f.Path, f.From)
}

var (
	once  sync.Once
	found Found
)

// Require returns the fluent-bit binary, or ends the test: Fatal under CI, Skip elsewhere,
// with a one-line reason either way. Find runs once per test binary.
func Require(tb testing.TB, root string) string {
	tb.Helper()
	once.Do(func() { found = Find(root) })
	if found.Err == nil {
		return found.Path
	}
	if CI() {
		tb.Fatalf("CI=true and %v: the real-host tests must run in CI", found.Err)
	}
	tb.Skipf("real-host test skipped: %v", found.Err)
	return ""
}

func tailOf(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
