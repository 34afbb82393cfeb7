package deploy

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/k8saudit/k8saudit/plugin/config"
	"github.com/k8saudit/k8saudit/test/fbhost"
)

// The paths the shipped configurations use on the node or in the image.
const (
	statePath   = "/var/lib/k8saudit"
	auditDir    = "/var/log/kubernetes/audit"
	imagePlugin = "/fluent-bit/plugins/out_k8saudit.so"
	intakeConf  = "/etc/kubernetes/k8saudit/intake.conf"
	helmConfDir = "/fluent-bit/etc/conf/"
)

// shippedConf is one Fluent Bit configuration users run.
type shippedConf struct {
	name   string
	yaml   bool
	text   string            // the root file
	files  map[string]string // what its @INCLUDEs and plugins files name by absolute path
	root   string            // directory relative paths resolve against
	input  string            // "tail" or "http"; "" = the sample, not held to the production rules
	usesSO bool              // the plugin comes from the plugins file (else -e)
}

func readRepo(t *testing.T, parts ...string) string {
	t.Helper()
	b, err := os.ReadFile(repoPath(parts...))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// helmValues is conf/helm/values.yaml as a tree.
func helmValues(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := yaml.Unmarshal([]byte(readRepo(t, "conf", "helm", "values.yaml")), &v); err != nil {
		t.Fatalf("conf/helm/values.yaml: %v", err)
	}
	return v
}

// helmChartTemplate renders the chart's tpl values the service section uses, as the chart's
// defaults set them.
var helmChartTemplate = strings.NewReplacer(
	"{{ .Values.flush }}", "1", "{{ .Values.logLevel }}", "info", "{{ .Values.metricsPort }}", "2020")

func shippedConfs(t *testing.T) []shippedConf {
	t.Helper()
	conf := repoPath("conf")
	out := []shippedConf{
		{name: "fluent-bit.conf", text: readRepo(t, "conf", "fluent-bit.conf"), input: "tail", usesSO: true},
		{name: "fluent-bit.yaml", yaml: true, text: readRepo(t, "conf", "fluent-bit.yaml"), input: "tail", usesSO: true},
		{name: "fluent-bit-webhook.conf", text: readRepo(t, "conf", "fluent-bit-webhook.conf"), input: "http", usesSO: true},
		{name: "fluent-bit-webhook.yaml", yaml: true, text: readRepo(t, "conf", "fluent-bit-webhook.yaml"), input: "http", usesSO: true},
		{name: "fluent-bit-static-pod.conf", text: readRepo(t, "conf", "fluent-bit-static-pod.conf"), input: "tail", usesSO: true,
			files: map[string]string{intakeConf: readRepo(t, "conf", "intake.conf.example")}},
		{name: "sample/fluent-bit.conf", text: readRepo(t, "conf", "sample", "fluent-bit.conf")},
	}
	for i := range out {
		out[i].root = conf
	}
	// The Helm values: the chart's fluent-bit.conf is config.service followed by the
	// (default) inputs, filters and outputs; k8saudit's part is what service @INCLUDEs.
	v := helmValues(t)
	cfg, _ := v["config"].(map[string]any)
	service, _ := cfg["service"].(string)
	extra, _ := cfg["extraFiles"].(map[string]any)
	if service == "" || extra == nil {
		t.Fatal("conf/helm/values.yaml: config.service or config.extraFiles missing")
	}
	files := map[string]string{}
	for k, val := range extra {
		s, _ := val.(string)
		files[helmConfDir+k] = s
	}
	out = append(out, shippedConf{name: "helm/values.yaml config", text: helmChartTemplate.Replace(service),
		files: files, root: "/fluent-bit/etc/conf", input: "tail", usesSO: true})
	return out
}

func (sc shippedConf) parse(t *testing.T) *fbConfig {
	t.Helper()
	c := &fbConfig{}
	resolve := func(path string) (string, string, error) {
		if text, ok := sc.files[path]; ok {
			return text, path, nil
		}
		if !filepath.IsAbs(path) {
			path = filepath.Join(sc.root, path)
		}
		b, err := os.ReadFile(path)
		return string(b), path, err
	}
	var err error
	if sc.yaml {
		err = parseYAML(sc.text, sc.name, resolve, c)
	} else {
		err = parseClassic(sc.text, sc.name, resolve, c)
	}
	if err != nil {
		t.Fatal(err)
	}
	// The plugins file the service names, parsed the same way.
	for _, s := range c.of("service") {
		if pf, ok := s.get("plugins_file"); ok {
			text, name, err := resolve(pf)
			if err != nil {
				t.Fatalf("%s: plugins_file %s: %v", sc.name, pf, err)
			}
			if sc.yaml {
				err = parseYAML(text, name, resolve, c)
			} else {
				err = parseClassic(text, name, resolve, c)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	return c
}

func (c *fbConfig) output(t *testing.T, name string) section {
	t.Helper()
	var outs []section
	for _, s := range c.of("output") {
		if n, _ := s.get("name"); strings.EqualFold(n, "k8saudit") {
			outs = append(outs, s)
		}
	}
	if len(outs) != 1 {
		t.Fatalf("%s: %d k8saudit outputs, want 1", name, len(outs))
	}
	return outs[0]
}

// TestShippedConfigsKeepTheTraps holds every production configuration to the settings an
// audit pipeline needs (docs/design.md, "The host"; README troubleshooting).
func TestShippedConfigsKeepTheTraps(t *testing.T) {
	known := map[string]bool{}
	for _, k := range config.Keys {
		known[k] = true
	}
	for _, sc := range shippedConfs(t) {
		t.Run(sc.name, func(t *testing.T) {
			c := sc.parse(t)
			out := c.output(t, sc.name)
			// Every key the plugin gets must be one it reads: Fluent Bit ignores unknown keys
			// silently, so a typo here would never be noticed.
			for _, kv := range out.props {
				if !hostKey(kv[0]) && !known[kv[0]] {
					t.Errorf("%s: [OUTPUT] key %q is not a k8saudit key (plugin/config Keys)", out.where, kv[0])
				}
				if kv[0] == "tls" || strings.HasPrefix(kv[0], "tls.") {
					t.Errorf("%s: %q: Go outputs cannot use Fluent Bit's TLS keys (tls on is refused); use https:// and tls_*", out.where, kv[0])
				}
			}
			if sc.input == "" {
				return
			}
			if w, _ := out.get("workers"); atoi(w) < 1 {
				t.Errorf("%s: workers %q: Go outputs default to 0 workers and flush on the engine thread; ship workers 1", out.where, w)
			}
			if r, _ := out.get("retry_limit"); !slices.Contains([]string{"no_limits", "false"}, strings.ToLower(r)) {
				t.Errorf("%s: retry_limit %q: the default (1) drops a chunk after one retry; ship no_limits", out.where, r)
			}
			if l, ok := out.get("storage.total_limit_size"); !ok {
				t.Errorf("%s: no storage.total_limit_size: an intake outage could fill the control-plane disk", out.where)
			} else if _, err := parseSize(l); err != nil {
				t.Errorf("%s: storage.total_limit_size %q: %v", out.where, l, err)
			}
			svc := c.of("service")
			if len(svc) == 0 {
				t.Fatalf("%s: no service section", sc.name)
			}
			if p, _ := svc[0].get("storage.path"); !strings.HasPrefix(p, statePath+"/") {
				t.Errorf("%s: service storage.path %q, want a directory under %s (the hostPath that survives the pod)", svc[0].where, p, statePath)
			}
			var plugins []string
			for _, p := range c.of("plugins") {
				for _, kv := range p.props {
					plugins = append(plugins, kv[1])
				}
			}
			if !slices.Contains(plugins, imagePlugin) {
				t.Errorf("%s: the plugins file does not load %s (where the image puts the .so): %v", sc.name, imagePlugin, plugins)
			}
			match, _ := out.get("match")
			var inputs []section
			for _, in := range c.of("input") {
				if tag, _ := in.get("tag"); tag == match {
					inputs = append(inputs, in)
				}
			}
			if len(inputs) != 1 {
				t.Fatalf("%s: %d inputs tagged %q (the output's match), want 1", sc.name, len(inputs), match)
			}
			in := inputs[0]
			if n, _ := in.get("name"); n != sc.input {
				t.Fatalf("%s: input %q, want %q", in.where, n, sc.input)
			}
			if st, _ := in.get("storage.type"); st != "filesystem" {
				t.Errorf("%s: storage.type %q: ship filesystem so that chunks survive an outage and a restart", in.where, st)
			}
			bm, _ := in.get("buffer_max_size")
			if n, err := parseSize(bm); err != nil || n < 8_000_000 {
				t.Errorf("%s: buffer_max_size %q: audit events with bodies reach several MB; the default drops them", in.where, bm)
			}
			switch sc.input {
			case "tail":
				// The path comes from K8SAUDIT_AUDIT_LOG (the image's ENV, or an @SET of the
				// Helm values), kubeadm's by default.
				if p, _ := in.get("path"); p != "${K8SAUDIT_AUDIT_LOG}" || c.expand(p, testEnv("")) != auditDir+"/audit.log" {
					t.Errorf("%s: path %q (expanded %q): want ${K8SAUDIT_AUDIT_LOG}, kubeadm's %s/audit.log by default", in.where, p, c.expand(p, testEnv("")), auditDir)
				}
				if db, _ := in.get("db"); !strings.HasPrefix(db, statePath+"/") {
					t.Errorf("%s: db %q: the offsets DB must be under %s so that restarts resume", in.where, db, statePath)
				}
				if s, _ := in.get("skip_long_lines"); !isTrue(s) {
					t.Errorf("%s: skip_long_lines %q: without it one line over buffer_max_size stops the whole file", in.where, s)
				}
			case "http":
				if l, _ := in.get("listen"); l != "127.0.0.1" {
					t.Errorf("%s: listen %q: the webhook carries every request's details; listen on loopback", in.where, l)
				}
			}
		})
	}
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func isTrue(s string) bool {
	return slices.Contains([]string{"on", "true", "yes"}, strings.ToLower(s))
}

// testEnv is the environment the configurations' ${VAR} get in the tests.
func testEnv(intakeURL string) map[string]string {
	return map[string]string{
		"K8SAUDIT_INTAKE":  "ndjson",
		"K8SAUDIT_URL":     intakeURL,
		"K8SAUDIT_API_KEY": "test-key",
		"K8SAUDIT_CLUSTER": "test-cluster",
		// The image's ENV (Dockerfile).
		"K8SAUDIT_AUDIT_LOG": auditDir + "/audit.log",
	}
}

// intake is an NDJSON intake that counts the documents it accepts.
func intake(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var docs atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		sc := bufio.NewScanner(body)
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			if len(bytes.TrimSpace(sc.Bytes())) > 0 {
				docs.Add(1)
			}
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv, &docs
}

// TestShippedConfigsInitThroughHarness feeds each configuration's k8saudit [OUTPUT] keys
// (minus the keys Fluent Bit keeps, with ${VAR} expanded) to the plugin through the proxy
// harness: Init must accept them exactly as written, and with the URL pointed at a test
// intake one audit event must be delivered.
func TestShippedConfigsInitThroughHarness(t *testing.T) {
	so, harness := pluginAndHarness(t)
	srv, docs := intake(t)
	line := strings.SplitN(readRepo(t, "conf", "sample", "audit.log"), "\n", 2)[0]
	for _, sc := range shippedConfs(t) {
		t.Run(sc.name, func(t *testing.T) {
			c := sc.parse(t)
			out := c.output(t, sc.name)
			dir := t.TempDir()
			env := testEnv("https://siem.example.com/ingest")
			var props []string
			for _, kv := range out.props {
				if hostKey(kv[0]) {
					continue
				}
				v := strings.ReplaceAll(c.expand(kv[1], env), statePath, dir)
				props = append(props, "-p", kv[0]+"="+v)
			}
			run := func(extra ...string) (string, error) {
				args := append(append(slices.Clone(props), extra...), so)
				cmd := exec.Command(harness, args...)
				cmd.Env = append(os.Environ(), "FLB_LOG_LEVEL=warn")
				b, err := cmd.CombinedOutput()
				return string(b), err
			}
			if msg, err := run(); err != nil {
				t.Fatalf("Init refused the [OUTPUT] of %s (%v):\n%s\nproperties: %q", sc.name, err, msg, props)
			}
			// One event through the same keys, the URL swapped for the test intake (the
			// first value of a repeated key wins, so the swap goes first).
			log := filepath.Join(dir, "audit.log")
			if err := os.WriteFile(log, []byte(line+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			before := docs.Load()
			intakeKeys := []string{"-p", "url=" + srv.URL + "/ingest"}
			if iv, _ := out.get("intake"); c.expand(iv, env) == "stdout" {
				intakeKeys = append(intakeKeys, "-p", "intake=ndjson")
			}
			props = append(intakeKeys, props...)
			if msg, err := run("-l", log); err != nil {
				t.Fatalf("delivering one event with the keys of %s (%v):\n%s", sc.name, err, msg)
			}
			if got := docs.Load() - before; got != 1 {
				t.Errorf("the test intake got %d documents, want 1", got)
			}
		})
	}
}

// TestShippedConfigsFluentBitDryRun has Fluent Bit itself load every configuration with the
// plugin (through the configuration's own plugins file, so that is checked too), with the
// node and image paths mapped into a temporary directory.
func TestShippedConfigsFluentBitDryRun(t *testing.T) {
	// FLUENT_BIT, fluent-bit on PATH or ../shared/tools/fluent-bit/ensure; skipped without
	// one (the harness test still checks the [OUTPUT] keys), failed under CI=true.
	fb := fbhost.Require(t, repoPath())
	so, _ := pluginAndHarness(t)
	for _, sc := range shippedConfs(t) {
		t.Run(sc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, d := range []string{"state", "audit", "conf"} {
				if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			paths := strings.NewReplacer(
				imagePlugin, so,
				intakeConf, filepath.Join(dir, "intake.conf"),
				helmConfDir, filepath.Join(dir, "conf")+"/",
				statePath, filepath.Join(dir, "state"),
				auditDir, filepath.Join(dir, "audit"),
			)
			write := func(name, text string) string {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, []byte(paths.Replace(text)), 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			}
			// The files a configuration reads by relative path sit next to it.
			entries, err := os.ReadDir(repoPath("conf"))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if !e.IsDir() {
					write(e.Name(), readRepo(t, "conf", e.Name()))
				}
			}
			for p, text := range sc.files {
				write(strings.TrimPrefix(paths.Replace(p), dir+"/"), text)
			}
			root := sc.text
			if strings.HasPrefix(sc.name, "helm/") {
				// The chart's image has parsers.conf; custom_parsers.conf is in its ConfigMap.
				var keep []string
				for _, l := range strings.Split(root, "\n") {
					if !strings.Contains(strings.ToLower(l), "parsers_file") {
						keep = append(keep, l)
					}
				}
				root = strings.Join(keep, "\n")
			}
			ext := ".conf"
			if sc.yaml {
				ext = ".yaml"
			}
			main := write("root-under-test"+ext, root)
			args := []string{"--dry-run", "-c", main}
			if !sc.usesSO {
				args = append([]string{"-e", so}, args...)
			}
			cmd := exec.Command(fb, args...)
			cmd.Env = os.Environ()
			for k, v := range testEnv("https://siem.example.com/ingest") {
				cmd.Env = append(cmd.Env, k+"="+paths.Replace(v))
			}
			cmd.Env = append(cmd.Env, "K8SAUDIT_LOG="+filepath.Join(dir, "audit", "audit.log"))
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s --dry-run %s: %v\n%s", fb, sc.name, err, b)
			} else {
				t.Logf("%s", strings.TrimSpace(string(b)))
			}
		})
	}
}
