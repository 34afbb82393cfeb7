// Package test holds the end-to-end tests: they build out_k8saudit.so and the proxy
// harness (harness/harness.c, a C program that plays Fluent Bit's Go proxy), then drive
// the real .so against scripted HTTP intakes.
//
//	go test ./test                     # from the repository root
//	K8SAUDIT_SO=/path/out_k8saudit.so  # test that .so instead of building one
//	FLUENT_BIT=/path/fluent-bit        # the Fluent Bit of the real-host tests (realhost_*_test.go)
//
// The fixtures are the repository's testdata/fixtures (internal/testfix). Tests that need cc
// skip with the reason when it is missing. The real-host tests find Fluent Bit through
// package fbhost (FLUENT_BIT, fluent-bit on PATH, ../shared/tools/fluent-bit/ensure); without
// one they skip, or fail under CI=true.
package test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/k8saudit/k8saudit/internal/testfix"
)

// workDir holds what the tests build; TestMain removes it.
var workDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "k8saudit-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	workDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// repoRoot is the module root: the parent of this package's directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(wd)
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod above %s: run the tests with go test ./test", wd)
	}
	return root
}

// fixtures returns the repository's testdata/fixtures folder, or fails the test.
func fixtures(t testing.TB) string {
	t.Helper()
	return testfix.Dir(t)
}

type built struct {
	once   sync.Once
	path   string
	err    error
	skip   string
	output string
}

var soBuild, harnessBuild built

// pluginSO builds out_k8saudit.so once (or takes K8SAUDIT_SO) and returns its path.
func pluginSO(t testing.TB) string {
	t.Helper()
	soBuild.once.Do(func() {
		if p := os.Getenv("K8SAUDIT_SO"); p != "" {
			if _, err := os.Stat(p); err != nil {
				soBuild.err = fmt.Errorf("K8SAUDIT_SO: %w", err)
			}
			soBuild.path = p
			return
		}
		goBin, err := exec.LookPath("go")
		if err != nil {
			soBuild.skip = "the go command is not in PATH: cannot build the plugin (set K8SAUDIT_SO)"
			return
		}
		out := filepath.Join(workDir, "out_k8saudit.so")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, goBin, "build", "-buildmode=c-shared", "-o", out, "./plugin")
		cmd.Dir = repoRoot(t)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		b, err := cmd.CombinedOutput()
		soBuild.output = string(b)
		if err != nil {
			soBuild.err = fmt.Errorf("go build -buildmode=c-shared ./plugin: %v\n%s", err, b)
			return
		}
		soBuild.path = out
	})
	if soBuild.skip != "" {
		t.Skip(soBuild.skip)
	}
	if soBuild.err != nil {
		t.Fatal(soBuild.err)
	}
	return soBuild.path
}

// harnessBin compiles harness/harness.c once with the documented command line.
func harnessBin(t testing.TB) string {
	t.Helper()
	harnessBuild.once.Do(func() {
		cc := os.Getenv("CC")
		if cc == "" {
			cc = "cc"
		}
		ccPath, err := exec.LookPath(cc)
		if err != nil {
			harnessBuild.skip = fmt.Sprintf("no C compiler (%s not in PATH): cannot build the proxy harness", cc)
			return
		}
		out := filepath.Join(workDir, "harness")
		src := filepath.Join(repoRoot(t), "test", "harness", "harness.c")
		cmd := exec.Command(ccPath, "-O2", "-Wall", "-Wextra", "-o", out, src, "-ldl")
		b, err := cmd.CombinedOutput()
		harnessBuild.output = string(b)
		if err != nil {
			harnessBuild.err = fmt.Errorf("cc harness.c: %v\n%s", err, b)
			return
		}
		harnessBuild.path = out
	})
	if harnessBuild.skip != "" {
		t.Skip(harnessBuild.skip)
	}
	if harnessBuild.err != nil {
		t.Fatal(harnessBuild.err)
	}
	return harnessBuild.path
}

// summary is one `harness: instance N: ...` line.
type summary struct {
	Instance, Chunks, OK, Retry, Error, Records, GaveUp int
}

var summaryRE = regexp.MustCompile(`(?m)^harness: instance (\d+): chunks=(\d+) ok=(\d+) retry=(\d+) error=(\d+) records=(\d+)(?: flushes=\d+)?(?: gave_up=(\d+))?`)

type result struct {
	args      []string
	code      int // exit status; -1 when killed by a signal or the timeout
	stdout    []byte
	stderr    []byte
	summaries []summary
	elapsed   time.Duration
	rusage    any // the harness process's resource usage (*syscall.Rusage on Linux)
}

// String is what a failing test prints: the command and the end of its stderr.
func (r *result) String() string {
	se := r.stderr
	if len(se) > 6000 {
		se = append([]byte("...\n"), se[len(se)-6000:]...)
	}
	return fmt.Sprintf("harness %s\nexit %d after %s; stderr:\n%s", strings.Join(r.args, " "), r.code, r.elapsed.Round(time.Millisecond), se)
}

// runHarness runs the harness on the plugin with args (the .so path is appended).
func runHarness(t testing.TB, timeout time.Duration, args ...string) *result {
	t.Helper()
	bin := harnessBin(t)
	so := pluginSO(t)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	all := append(append([]string{}, args...), so)
	cmd := exec.CommandContext(ctx, bin, all...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := &result{args: args, stdout: stdout.Bytes(), stderr: stderr.Bytes(), elapsed: time.Since(start)}
	if cmd.ProcessState != nil {
		r.rusage = cmd.ProcessState.SysUsage()
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("harness did not run: %v", err)
	}
	if ctx.Err() != nil {
		r.code = -1
		t.Fatalf("harness still running after %s (killed):\n%s", timeout, r)
	}
	for _, m := range summaryRE.FindAllStringSubmatch(string(r.stderr), -1) {
		n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
		r.summaries = append(r.summaries, summary{n(1), n(2), n(3), n(4), n(5), n(6), n(7)})
	}
	return r
}

// mustExit fails the test unless the harness exited with want.
func (r *result) mustExit(t testing.TB, want int) {
	t.Helper()
	if r.code != want {
		t.Fatalf("exit status %d, want %d\n%s", r.code, want, r)
	}
}

func TestHarnessCompilesWithoutWarnings(t *testing.T) {
	harnessBin(t)
	if w := strings.TrimSpace(harnessBuild.output); w != "" {
		t.Errorf("cc -O2 -Wall -Wextra harness.c printed:\n%s", w)
	}
}
