package test

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
)

// The secret values planted in normalize/testdata/redact/secrets.jsonl (a Secret created,
// updated, patched, listed and read at RequestResponse level, a TokenRequest, a
// TokenReview, an access_token in a URI), and one only a redact_paths entry covers.
var plantedSecrets = []string{
	"hunter2-SECRET-pw", "plain-SECRET-sd", "lastapplied-SECRET-la", "eyJ-SECRET-tokreq",
	"eyJ-SECRET-tokrev", "AT-SECRET-uri", "cfg-SECRET-patch", "user-SECRET-path",
}

// TestNoSecretLeavesTheNode ships the secret-bearing events through the built .so, with the
// default redaction plus the user's own path, in both formats and with the original event
// kept, and searches every delivered byte (gzip-decoded by the intake) for the secrets.
func TestNoSecretLeavesTheNode(t *testing.T) {
	log := filepath.Join(repoRoot(t), "normalize", "testdata", "redact", "secrets.jsonl")
	for _, format := range []string{"ecs", "raw"} {
		t.Run(format, func(t *testing.T) {
			in := newIntake(t, nil)
			r := runHarness(t, runTimeout, append(ndjson(in.url(), "format="+format, "event_original=on", "redact_paths=data.password"), "-l", log)...)
			r.mustExit(t, 0)
			in.mustBeClean(t)
			docs, _, _ := in.snapshot()
			if len(docs) != 9 {
				t.Fatalf("%d documents delivered, want the 9 events", len(docs))
			}
			var all []byte
			for _, d := range docs {
				all = append(all, d.raw...)
			}
			for _, s := range plantedSecrets {
				for _, form := range []string{s, base64.StdEncoding.EncodeToString([]byte(s)), base64.RawStdEncoding.EncodeToString([]byte(s))} {
					if bytes.Contains(all, []byte(form)) {
						t.Errorf("secret %q left the node in format %s", form, format)
					}
				}
			}
			if !bytes.Contains(all, []byte("[REDACTED]")) {
				t.Error("no value was marked [REDACTED]: the test proves nothing")
			}
		})
	}
	// Redaction off ships the values: the search above would have found them.
	in := newIntake(t, nil)
	runHarness(t, runTimeout, append(ndjson(in.url(), "redact=off"), "-l", log)...).mustExit(t, 0)
	docs, _, _ := in.snapshot()
	var all []byte
	for _, d := range docs {
		all = append(all, d.raw...)
	}
	if !bytes.Contains(all, []byte("AT-SECRET-uri")) {
		t.Error("with redact off the planted secret should arrive: the fixture or the search is wrong")
	}
}

// TestPolicyFileThroughThePlugin loads a ready policy through the plugin's config and checks
// its effect, and that a broken policy stops Init with the file and line.
func TestPolicyFileThroughThePlugin(t *testing.T) {
	root := repoRoot(t)
	log := filepath.Join(root, "normalize", "testdata", "redact", "secrets.jsonl")
	in := newIntake(t, nil)
	r := runHarness(t, runTimeout, append(ndjson(in.url(), "policy_file="+filepath.Join(root, "conf", "policies", "metadata.yaml"), "redact=off"), "-l", log)...)
	r.mustExit(t, 0)
	docs, _, _ := in.snapshot()
	if len(docs) != 9 {
		t.Fatalf("%d documents, want 9", len(docs))
	}
	for _, d := range docs {
		if bytes.Contains(d.raw, []byte(`"requestObject"`)) || bytes.Contains(d.raw, []byte(`"responseObject"`)) {
			t.Fatalf("a Metadata policy shipped a body: %.300s", d.raw)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad-policy.yaml")
	writeFile(t, bad, "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Everything\n")
	r = runHarness(t, runTimeout, append(ndjson(in.url(), "policy_file="+bad), "-l", log)...)
	r.mustExit(t, 3)
	if !bytes.Contains(r.stderr, []byte("bad-policy.yaml:4")) {
		t.Errorf("Init failure does not name the file and line:\n%s", r)
	}
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
