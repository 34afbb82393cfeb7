package deploy

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// exportedPluginSymbols lists the FLBPlugin* functions a shared object defines and exports:
// what Fluent Bit's Go proxy looks up with dlsym.
func exportedPluginSymbols(t *testing.T, f *elf.File) []string {
	t.Helper()
	syms, err := f.DynamicSymbols()
	if err != nil {
		t.Fatalf("dynamic symbols: %v", err)
	}
	var out []string
	for _, s := range syms {
		if strings.HasPrefix(s.Name, "FLBPlugin") && s.Section != elf.SHN_UNDEF &&
			elf.ST_TYPE(s.Info) == elf.STT_FUNC && elf.ST_BIND(s.Info) == elf.STB_GLOBAL {
			out = append(out, s.Name)
		}
	}
	sort.Strings(out)
	return out
}

// TestPluginCrossBuildsForArm64 builds the plugin for arm64 the way the release image does
// (make so ARCH=arm64: a cgo cross-compile) and checks the result is an aarch64 shared
// object that exports the same FLBPlugin* entry points as this machine's build. It needs
// the cross compiler (CROSS_CC_arm64, aarch64-linux-gnu-gcc by default) and is skipped
// without it; make test says so.
func TestPluginCrossBuildsForArm64(t *testing.T) {
	cc := os.Getenv("CROSS_CC_arm64")
	if cc == "" {
		cc = "aarch64-linux-gnu-gcc"
	}
	if _, err := exec.LookPath(cc); err != nil {
		t.Skipf("no %s: the arm64 plugin is not built (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross)", cc)
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	out := t.TempDir()
	cmd := exec.Command("make", "--no-print-directory", "so", "ARCH=arm64", "OUT="+out, "CROSS_CC_arm64="+cc)
	cmd.Dir = repoRoot
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make so ARCH=arm64: %v\n%s", err, b)
	}
	f, err := elf.Open(filepath.Join(out, "out_k8saudit.so"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 || f.Type != elf.ET_DYN || f.Class != elf.ELFCLASS64 {
		t.Fatalf("make so ARCH=arm64 built a %v %v %v, want a 64-bit EM_AARCH64 shared object", f.Class, f.Machine, f.Type)
	}
	got := exportedPluginSymbols(t, f)

	// The entry points the host build exports, and those plugin/exports.go declares.
	so, _ := pluginAndHarness(t)
	hf, err := elf.Open(so)
	if err != nil {
		t.Fatal(err)
	}
	defer hf.Close()
	want := exportedPluginSymbols(t, hf)
	var declared []string
	for _, m := range regexp.MustCompile(`(?m)^//export (FLBPlugin\w+)$`).FindAllStringSubmatch(readRepo(t, "plugin", "exports.go"), -1) {
		declared = append(declared, m[1])
	}
	sort.Strings(declared)
	if len(declared) == 0 || !slices.Equal(want, declared) {
		t.Fatalf("the host build exports %v; plugin/exports.go declares %v", want, declared)
	}
	if !slices.Equal(got, want) {
		t.Errorf("the arm64 build exports %v, want %v", got, want)
	}
	for _, must := range []string{"FLBPluginRegister", "FLBPluginInit"} {
		if !slices.Contains(got, must) {
			t.Errorf("the arm64 build does not export %s: Fluent Bit cannot load it", must)
		}
	}
	// The glibc it needs: the image's runtime (Debian 12) has 2.36. Built elsewhere than
	// bookworm (the Dockerfile's build stage), the cross toolchain's glibc may be newer.
	syms, _ := f.ImportedSymbols()
	maxV := ""
	for _, s := range syms {
		if strings.HasPrefix(s.Version, "GLIBC_") && versionLess(maxV, s.Version) {
			maxV = s.Version
		}
	}
	t.Logf("arm64 plugin: %d bytes, exports %v, needs up to %s", fileSize(t, filepath.Join(out, "out_k8saudit.so")), got, maxV)
}

func versionLess(a, b string) bool {
	if a == "" {
		return true
	}
	pa := strings.Split(strings.TrimPrefix(a, "GLIBC_"), ".")
	pb := strings.Split(strings.TrimPrefix(b, "GLIBC_"), ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if x, y := atoi(pa[i]), atoi(pb[i]); x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}

func fileSize(t *testing.T, p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
