package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// repoRoot is the module root, two levels up from this package.
var repoRoot = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}()

func repoPath(parts ...string) string { return filepath.Join(append([]string{repoRoot}, parts...)...) }

var (
	scratch   string
	buildOnce sync.Once
	builtSO   string
	builtH    string
	buildErr  string
	skipBuild string
)

func TestMain(m *testing.M) {
	var err error
	scratch, err = os.MkdirTemp("", "k8saudit-deploy-")
	if err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(scratch)
	os.Exit(code)
}

// pluginAndHarness returns the plugin .so (K8SAUDIT_SO, or built here exactly as the
// Makefile does) and the proxy harness (built here from test/harness/harness.c). It skips
// the test when cc or the harness source is missing.
func pluginAndHarness(t *testing.T) (so, harness string) {
	t.Helper()
	buildOnce.Do(func() {
		src := repoPath("test", "harness", "harness.c")
		if _, err := os.Stat(src); err != nil {
			skipBuild = "no proxy harness source (" + src + ")"
			return
		}
		cc := os.Getenv("CC")
		if cc == "" {
			cc = "cc"
		}
		if _, err := exec.LookPath(cc); err != nil {
			skipBuild = "no C compiler (" + cc + ") to build the plugin and the harness"
			return
		}
		builtH = filepath.Join(scratch, "harness")
		if out, err := exec.Command(cc, "-O2", "-o", builtH, src, "-ldl").CombinedOutput(); err != nil {
			buildErr = "building the harness: " + err.Error() + "\n" + string(out)
			return
		}
		if so := os.Getenv("K8SAUDIT_SO"); so != "" {
			builtSO = so
			return
		}
		builtSO = filepath.Join(scratch, "out_k8saudit.so")
		cmd := exec.Command("go", "build", "-trimpath", "-buildmode=c-shared", "-o", builtSO, "./plugin")
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = "building the plugin: " + err.Error() + "\n" + string(out)
		}
	})
	if skipBuild != "" {
		t.Skip(skipBuild)
	}
	if buildErr != "" {
		t.Fatal(buildErr)
	}
	return builtSO, builtH
}
