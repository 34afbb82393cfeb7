package deploy

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// makeVars reads `NAME ?= value` / `NAME := value` / `NAME = value` lines of the Makefile.
func makeVars(t *testing.T) map[string]string {
	t.Helper()
	vars := map[string]string{}
	re := regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\s*(\?=|:=|=)\s*(.*)$`)
	for _, l := range strings.Split(readRepo(t, "Makefile"), "\n") {
		if m := re.FindStringSubmatch(l); m != nil {
			vars[m[1]] = strings.TrimSpace(m[3])
		}
	}
	return vars
}

// makeExpand expands $(VAR) references in a Makefile variable.
func makeExpand(t *testing.T, name string) string {
	t.Helper()
	vars := makeVars(t)
	v := vars[name]
	for i := 0; i < 5 && strings.Contains(v, "$("); i++ {
		for k, val := range vars {
			v = strings.ReplaceAll(v, "$("+k+")", val)
		}
	}
	return v
}

// makefileImage is the image `make docker` builds: $(IMAGE), the whole reference
// (registry/name:tag), which every manifest names.
func makefileImage(t *testing.T) string {
	t.Helper()
	img := makeExpand(t, "IMAGE")
	if !regexp.MustCompile(`^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9./_-]+:[A-Za-z0-9._-]+$`).MatchString(img) {
		t.Fatalf("Makefile: IMAGE %q is not a registry/name:tag reference", img)
	}
	return img
}

// dockerStage is one FROM ... stage of the Dockerfile, with its instructions joined across
// line continuations.
type dockerStage struct {
	from, name, platform string
	lines                []string
}

func dockerStages(t *testing.T) (args map[string]string, stages []dockerStage) {
	t.Helper()
	args = map[string]string{}
	var logical []string
	var cur strings.Builder
	for _, l := range strings.Split(readRepo(t, "Dockerfile"), "\n") {
		trimmed := strings.TrimSpace(l)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		cur.WriteString(trimmed)
		logical = append(logical, strings.Join(strings.Fields(cur.String()), " "))
		cur.Reset()
	}
	for _, l := range logical {
		instr, rest, _ := strings.Cut(l, " ")
		switch strings.ToUpper(instr) {
		case "ARG":
			if k, v, ok := strings.Cut(rest, "="); ok && len(stages) == 0 {
				args[k] = v
			}
			if len(stages) > 0 {
				stages[len(stages)-1].lines = append(stages[len(stages)-1].lines, l)
			}
		case "FROM":
			f := strings.Fields(rest)
			var platform string
			for len(f) > 0 && strings.HasPrefix(f[0], "--") {
				if v, ok := strings.CutPrefix(f[0], "--platform="); ok {
					platform = v
				}
				f = f[1:]
			}
			s := dockerStage{from: f[0], platform: platform}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				s.name = f[2]
			}
			for k, v := range args {
				s.from = strings.ReplaceAll(s.from, "${"+k+"}", v)
			}
			stages = append(stages, s)
		default:
			if len(stages) == 0 {
				t.Fatalf("Dockerfile: %s before the first FROM", instr)
			}
			stages[len(stages)-1].lines = append(stages[len(stages)-1].lines, l)
		}
	}
	return args, stages
}

// TestDockerfileBuildsWithTheMakefileCommand: the image's .so is built by `make so`, whose
// recipe is the Makefile's BUILD_SO — the very command `make build` (and so `make test`)
// runs — with the Go of go.mod, on a glibc no newer than the runtime image's; for another
// architecture by the same command (ARCH=$TARGETARCH), cross-compiled on the builder's
// platform with the cross gcc the Makefile names.
func TestDockerfileBuildsWithTheMakefileCommand(t *testing.T) {
	// 1. `make so` and `make build` run the same BUILD_SO line.
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	dry := func(target string) []string {
		cmd := exec.Command("make", "-n", "-s", target)
		cmd.Dir = repoRoot
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make -n %s: %v\n%s", target, err, out)
		}
		return strings.Split(strings.TrimSpace(string(out)), "\n")
	}
	var buildSO string
	for _, l := range dry("build") {
		if strings.Contains(l, "-buildmode=c-shared") {
			buildSO = l
		}
	}
	if buildSO == "" {
		t.Fatal("make -n build runs no -buildmode=c-shared command")
	}
	var soHasIt bool
	for _, l := range dry("so") {
		if strings.Contains(l, "-buildmode=c-shared") {
			if l != buildSO {
				t.Errorf("make so runs\n  %s\nbut make build runs\n  %s", l, buildSO)
			}
			soHasIt = true
		}
	}
	if !soHasIt {
		t.Errorf("make so does not run the Makefile's BUILD_SO (%s)", buildSO)
	}

	// 2. The Dockerfile's build stage runs `make so`, builds the plugin no other way, and
	// changes nothing that would make its build differ.
	args, stages := dockerStages(t)
	if len(stages) < 2 {
		t.Fatalf("Dockerfile: %d stages, want a build stage and the runtime image", len(stages))
	}
	build, runtime := stages[0], stages[len(stages)-1]
	const makeSO = "make so ARCH=${TARGETARCH}"
	var runsMakeSO, targetArch bool
	var crossInstall string
	for _, l := range build.lines {
		instr, rest, _ := strings.Cut(l, " ")
		switch strings.ToUpper(instr) {
		case "ARG":
			targetArch = targetArch || rest == "TARGETARCH"
		case "RUN":
			cmd := regexp.MustCompile(`--mount=\S+\s*`).ReplaceAllString(rest, "")
			if strings.TrimSpace(cmd) == makeSO {
				runsMakeSO = true
			}
			if strings.Contains(cmd, "buildmode=c-shared") {
				t.Errorf("Dockerfile: the build stage builds the plugin by hand (%q): run `%s`", cmd, makeSO)
			}
			if regexp.MustCompile(`\bmake\b`).MatchString(cmd) && strings.TrimSpace(cmd) != makeSO {
				t.Errorf("Dockerfile: %q: run `%s` exactly, with no other variable overrides", cmd, makeSO)
			}
			if strings.Contains(cmd, "apt-get install") {
				crossInstall = cmd
			}
		case "ENV":
			for _, bad := range []string{"GOFLAGS", "CGO_", "GOEXPERIMENT", "GO=", "SO=", "LDFLAGS"} {
				if strings.Contains(rest, bad) {
					t.Errorf("Dockerfile: ENV %s changes the Makefile's build", rest)
				}
			}
		}
	}
	if !runsMakeSO {
		t.Errorf("Dockerfile: the build stage does not RUN %s", makeSO)
	}
	// Multi-arch: the build stage runs on the builder's platform and cross-compiles, with the
	// compiler the Makefile's CROSS_CC_<arch> names (Debian's gcc-<triplet> package).
	if build.platform != "$BUILDPLATFORM" || !targetArch {
		t.Errorf("Dockerfile: the build stage should be FROM --platform=$BUILDPLATFORM with ARG TARGETARCH (got platform %q)", build.platform)
	}
	for _, arch := range []string{"arm64", "amd64"} {
		cc := makeExpand(t, "CROSS_CC_"+arch) // aarch64-linux-gnu-gcc
		pkg := "gcc-" + strings.ReplaceAll(strings.TrimSuffix(cc, "-gcc"), "_", "-")
		if !strings.Contains(crossInstall, arch+") cross=\""+pkg+" ") {
			t.Errorf("Dockerfile: for %s the build stage should install %s (the Makefile's CROSS_CC_%s is %s); its install line: %q", arch, pkg, arch, cc, crossInstall)
		}
	}

	// 3. Pinned versions: Go of go.mod, on bookworm; Fluent Bit by version.
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(readRepo(t, "go.mod"))
	if goVersion == nil {
		t.Fatal("go.mod has no go line")
	}
	if tc := regexp.MustCompile(`(?m)^toolchain go(\S+)$`).FindStringSubmatch(readRepo(t, "go.mod")); tc != nil {
		goVersion = tc
	}
	if want := "golang:" + goVersion[1] + "-bookworm"; build.from != want {
		t.Errorf("Dockerfile: the build stage is FROM %s, want %s (go.mod's Go, on bookworm's glibc)", build.from, want)
	}
	if !regexp.MustCompile(`^fluent/fluent-bit:\d+\.\d+\.\d+$`).MatchString(runtime.from) {
		t.Errorf("Dockerfile: the runtime image %s is not the official image pinned to a version", runtime.from)
	}
	if args["FLUENT_BIT_VERSION"] == "" {
		t.Error("Dockerfile: no ARG FLUENT_BIT_VERSION")
	}

	// 4. The runtime image: the .so where the plugins files look, the configs, non-root, a
	// health check.
	rt := strings.Join(runtime.lines, "\n")
	for _, want := range []string{
		"COPY --from=build /src/" + makeExpand(t, "SO") + " " + imagePlugin,
		"USER 65532:65532",
		"HEALTHCHECK ",
		// The configurations tail ${K8SAUDIT_AUDIT_LOG}: kubeadm's path unless the pod says.
		"ENV K8SAUDIT_AUDIT_LOG=" + auditDir + "/audit.log",
	} {
		if !strings.Contains(rt, want) {
			t.Errorf("Dockerfile: the runtime stage lacks %q", want)
		}
	}
	for _, sc := range shippedConfs(t) {
		if sc.root == repoPath("conf") && !strings.Contains(sc.name, "/") && !strings.Contains(rt, "conf/"+sc.name) {
			t.Errorf("Dockerfile: conf/%s is not copied into the image", sc.name)
		}
	}
	for _, f := range []string{"conf/plugins.conf", "conf/plugins.yaml"} {
		if !strings.Contains(rt, f) {
			t.Errorf("Dockerfile: %s is not copied into the image", f)
		}
	}
}
