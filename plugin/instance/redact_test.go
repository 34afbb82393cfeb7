package instance

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/k8saudit/k8saudit/plugin/chunk/chunktest"
	"github.com/k8saudit/k8saudit/plugin/config"
)

// The secret events of the normalizer's redaction tests.
var secretEvents = filepath.Join("..", "..", "normalize", "testdata", "redact", "secrets.jsonl")

var secretStrings = []string{
	"hunter2-SECRET-pw", "plain-SECRET-sd", "lastapplied-SECRET-la", "eyJ-SECRET-tokreq",
	"eyJ-SECRET-tokrev", "AT-SECRET-uri", "cfg-SECRET-patch", "user-SECRET-path",
}

// TestFlushShipsNoSecret: redaction is on by default in the plugin; no
// secret value, plain or base64, reaches the intake, in either format, with
// event_original on.
func TestFlushShipsNoSecret(t *testing.T) {
	b, err := os.ReadFile(secretEvents)
	if err != nil {
		t.Fatal(err)
	}
	evs := lines(b)
	chunk := chunktest.RawLines(evs, "log", time.Unix(1700000000, 0))
	for _, format := range []string{"ecs", "raw"} {
		rec := &recorder{}
		in := newInstance(t, config.Map{"url": "http://intake.invalid/", "format": format,
			"event_original": "on", "redact_paths": "data.password"}, rec)
		if code := in.Flush(chunk); code != OK {
			t.Fatalf("%s: flush = %v", format, code)
		}
		shipped := bytes.Join(rec.bodies, nil)
		if n := len(rec.docs(t)); n != len(evs) {
			t.Fatalf("%s: %d documents, want %d", format, n, len(evs))
		}
		for _, s := range secretStrings {
			for _, form := range []string{s, base64.StdEncoding.EncodeToString([]byte(s))} {
				if bytes.Contains(shipped, []byte(form)) {
					t.Errorf("%s: %q shipped", format, form)
				}
			}
		}
		if !strings.Contains(in.Summary(), "redacted=9") {
			t.Errorf("%s: summary %q", format, in.Summary())
		}
	}
}

// TestFlushAppliesPolicy: gce.yaml logs secrets at Metadata and drops
// nothing here; a policy of None drops every event, counted in the summary.
func TestFlushAppliesPolicy(t *testing.T) {
	b, err := os.ReadFile(secretEvents)
	if err != nil {
		t.Fatal(err)
	}
	evs := lines(b)
	chunk := chunktest.RawLines(evs, "log", time.Unix(1700000000, 0))
	none := filepath.Join(t.TempDir(), "none.yaml")
	if err := os.WriteFile(none, []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	in := newInstance(t, config.Map{"url": "http://intake.invalid/", "policy_file": none}, rec)
	if code := in.Flush(chunk); code != OK {
		t.Fatalf("flush = %v", code)
	}
	if n := len(rec.docs(t)); n != 0 {
		t.Errorf("%d documents shipped, want 0", n)
	}
	if !strings.Contains(in.Summary(), "policy_dropped=9") {
		t.Errorf("summary %q", in.Summary())
	}

	rec = &recorder{}
	in = newInstance(t, config.Map{"url": "http://intake.invalid/", "policy_file": filepath.Join("..", "..", "conf", "policies", "gce.yaml")}, rec)
	if code := in.Flush(chunk); code != OK {
		t.Fatalf("flush = %v", code)
	}
	for _, d := range rec.docs(t) {
		a := d["kubernetes"].(map[string]any)["audit"].(map[string]any)
		if a["objectRef"].(map[string]any)["resource"] == "secrets" && (a["requestObject"] != nil || a["responseObject"] != nil || a["level"] != "Metadata") {
			t.Errorf("gce.yaml logs secrets at Metadata: %v", a)
		}
	}
}

// TestBadPolicyFailsNew: the error names the file and the line.
func TestBadPolicyFailsNew(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Everything\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Parse(config.Map{"url": "http://intake.invalid/", "policy_file": bad})
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(cfg, nil, &recorder{})
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:4") {
		t.Errorf("New = %v, want an error naming bad.yaml:4", err)
	}
}
