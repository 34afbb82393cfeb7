package deploy

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// request is what the test intake saw of one POST.
type request struct {
	path   string
	header http.Header
	body   []byte // decompressed
}

// recordingIntake answers 200 to every POST and keeps what it got.
func recordingIntake(t *testing.T) (*httptest.Server, func() []request) {
	var mu sync.Mutex
	var got []request
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
		b, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, request{path: r.URL.Path, header: r.Header.Clone(), body: b})
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []request {
		mu.Lock()
		defer mu.Unlock()
		return append([]request(nil), got...)
	}
}

// runEnv is the environment of the tests' runs: the caller's, without its K8SAUDIT_* and
// RUN_WITH, plus the mode and the settings given.
func runEnv(with string, env map[string]string) []string {
	var out []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "K8SAUDIT_") && !strings.HasPrefix(e, "RUN_WITH=") {
			out = append(out, e)
		}
	}
	out = append(out, "RUN_WITH="+with, "FLB_LOG_LEVEL=warn")
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

func runCmd(t *testing.T, cmd *exec.Cmd, what string) (stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	cmd.Dir = repoRoot
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\nstderr:\n%s", what, err, e.String())
	}
	return o.String(), e.String()
}

// makeRun runs `make run` as a user would, with the plugin built into a directory of the
// test's own (OUT=...: the tests running in parallel keep using build/out).
func makeRun(t *testing.T, with string, env map[string]string) (stdout, stderr string) {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	cmd := exec.Command("make", "--no-print-directory", "run", "OUT="+t.TempDir())
	cmd.Env = runEnv(with, env)
	return runCmd(t, cmd, "make run ("+with+")")
}

// runScript runs what `make run` runs after its build, build/run.sh, on the plugin and
// harness of the tests (building the plugin costs seconds; the make target is checked by
// TestMakeRunStdoutIsEventsOnly).
func runScript(t *testing.T, with string, env map[string]string) (stdout, stderr string) {
	t.Helper()
	so, harness := pluginAndHarness(t)
	cmd := exec.Command("build/run.sh", so, harness)
	cmd.Env = runEnv(with, env)
	return runCmd(t, cmd, "build/run.sh ("+with+")")
}

// runModes are the modes of build/run.sh the tests drive: always the harness; Fluent Bit
// itself when FLUENT_BIT names a binary.
func runModes(t *testing.T) []string {
	modes := []string{"harness"}
	if fb := os.Getenv("FLUENT_BIT"); fb != "" {
		modes = append(modes, "fluent-bit")
	} else {
		t.Log("FLUENT_BIT is not set: make run is checked through the proxy harness only")
	}
	return modes
}

func sampleEvents(t *testing.T) []map[string]any {
	t.Helper()
	var evs []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(readRepo(t, "conf", "sample", "audit.log")), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("conf/sample/audit.log: %v", err)
		}
		evs = append(evs, m)
	}
	return evs
}

// TestMakeRunStdoutIsEventsOnly: `make run | jq` works (through the harness; the other
// modes by build/run.sh alone). Standard output holds one ECS
// document per line for every sample event, and nothing else: the build's commands and
// the host's messages go to stderr. K8SAUDIT_CLUSTER reaches every document.
func TestMakeRunStdoutIsEventsOnly(t *testing.T) {
	want := len(sampleEvents(t))
	for i, with := range runModes(t) {
		t.Run(with, func(t *testing.T) {
			run := makeRun
			if i > 0 {
				run = runScript
			}
			stdout, stderr := run(t, with, map[string]string{"K8SAUDIT_CLUSTER": "run-test"})
			lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
			if len(lines) != want {
				t.Errorf("stdout has %d lines, want the %d sample events", len(lines), want)
			}
			for i, l := range lines {
				var doc struct {
					Orchestrator struct {
						Cluster struct{ Name string }
					}
				}
				if err := json.Unmarshal([]byte(l), &doc); err != nil {
					t.Fatalf("stdout line %d is not a JSON document (%v): %.200q", i+1, err, l)
				}
				if doc.Orchestrator.Cluster.Name != "run-test" {
					t.Fatalf("stdout line %d: orchestrator.cluster.name %q, want K8SAUDIT_CLUSTER (run-test)", i+1, doc.Orchestrator.Cluster.Name)
				}
			}
			if !strings.Contains(stderr, "make run: ") || (i == 0 && !strings.Contains(stderr, "-buildmode=c-shared")) {
				t.Errorf("stderr should carry the build command and the mode make run used:\n%s", stderr)
			}
		})
	}
}

// TestMakeRunPassesSettings points `make run` (build/run.sh) at a test intake with each K8SAUDIT_*
// setting and checks the intake got them: the credential in the intake's header, the
// intake's own framing (NDJSON lines, a Datadog JSON array at /api/v2/logs), the cluster
// name, the format and the policy file.
func TestMakeRunPassesSettings(t *testing.T) {
	events := sampleEvents(t)
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n"+
		"  - level: None\n    verbs: [get, list, watch]\n  - level: Metadata\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var writes int
	for _, e := range events {
		if v := e["verb"]; v != "get" && v != "list" && v != "watch" {
			writes++
		}
	}
	for _, with := range runModes(t) {
		t.Run(with+"/ndjson", func(t *testing.T) {
			srv, got := recordingIntake(t)
			stdout, _ := runScript(t, with, map[string]string{
				"K8SAUDIT_URL": srv.URL + "/ingest", "K8SAUDIT_API_KEY": "key-ndjson-1", "K8SAUDIT_CLUSTER": "c-ndjson"})
			if stdout != "" {
				t.Errorf("shipping to an intake, stdout should be empty, got %.200q", stdout)
			}
			docs := 0
			for _, r := range got() {
				if r.path != "/ingest" {
					t.Errorf("POST to %s, want /ingest", r.path)
				}
				if a := r.header.Get("Authorization"); a != "Bearer key-ndjson-1" {
					t.Errorf("Authorization %q, want the K8SAUDIT_API_KEY as a Bearer token", a)
				}
				sc := bufio.NewScanner(bytes.NewReader(r.body))
				sc.Buffer(nil, 64<<20)
				for sc.Scan() {
					var doc struct {
						Orchestrator struct{ Cluster struct{ Name string } }
					}
					if err := json.Unmarshal(sc.Bytes(), &doc); err != nil {
						t.Fatalf("an NDJSON line is not a document: %v", err)
					}
					if doc.Orchestrator.Cluster.Name != "c-ndjson" {
						t.Errorf("orchestrator.cluster.name %q, want c-ndjson", doc.Orchestrator.Cluster.Name)
					}
					docs++
				}
			}
			if docs != len(events) {
				t.Errorf("the intake got %d documents, want %d", docs, len(events))
			}
		})
		t.Run(with+"/datadog", func(t *testing.T) {
			srv, got := recordingIntake(t)
			runScript(t, with, map[string]string{
				"K8SAUDIT_INTAKE": "datadog", "K8SAUDIT_URL": srv.URL, "K8SAUDIT_API_KEY": "key-dd-2"})
			docs := 0
			for _, r := range got() {
				if r.path != "/api/v2/logs" {
					t.Errorf("POST to %s, want Datadog's /api/v2/logs", r.path)
				}
				if k := r.header.Get("DD-API-KEY"); k != "key-dd-2" {
					t.Errorf("DD-API-KEY %q, want the K8SAUDIT_API_KEY", k)
				}
				if a := r.header.Get("Authorization"); a != "" {
					t.Errorf("Authorization %q sent to Datadog", a)
				}
				var arr []map[string]any
				if err := json.Unmarshal(r.body, &arr); err != nil {
					t.Fatalf("the Datadog body is not a JSON array: %v", err)
				}
				docs += len(arr)
			}
			if docs != len(events) {
				t.Errorf("the intake got %d entries, want %d", docs, len(events))
			}
		})
		t.Run(with+"/raw+policy", func(t *testing.T) {
			srv, got := recordingIntake(t)
			runScript(t, with, map[string]string{
				"K8SAUDIT_URL": srv.URL + "/ingest", "K8SAUDIT_FORMAT": "raw", "K8SAUDIT_POLICY_FILE": policy})
			docs := 0
			for _, r := range got() {
				if a := r.header.Get("Authorization"); a != "" {
					t.Errorf("no K8SAUDIT_API_KEY, yet Authorization %q", a)
				}
				for _, l := range bytes.Split(bytes.TrimSpace(r.body), []byte("\n")) {
					var ev map[string]any
					if err := json.Unmarshal(l, &ev); err != nil {
						t.Fatalf("an NDJSON line is not a document: %v", err)
					}
					if ev["kind"] != "Event" || ev["@timestamp"] != nil {
						t.Fatalf("K8SAUDIT_FORMAT=raw should ship the audit event itself, got %.200s", l)
					}
					if v := ev["verb"]; v == "get" || v == "list" || v == "watch" {
						t.Errorf("the policy file drops %s, yet it was shipped", v)
					}
					docs++
				}
			}
			if docs != writes {
				t.Errorf("the intake got %d events, want the %d writes the policy keeps", docs, writes)
			}
		})
	}
}
