package deliver

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeadLetterFileForOwnTransports: the exported dead-letter file (Kafka's) writes the
// HTTP core's line shape, one line per document however the reason is written, in a file
// only its owner may read, and refuses a symlink like the core's.
func TestDeadLetterFileForOwnTransports(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "dl.ndjson")
	f, err := OpenDeadLetterFile(p, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Write([]byte(`{"a":1}`), "refused:\n{\"forged\":true}"); err != nil {
		t.Fatal(err)
	}
	if err := f.Write([]byte(`not json`), "too large"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if f.Write([]byte(`{}`), "x") == nil {
		t.Error("Write after Close succeeded")
	}
	b, _ := os.ReadFile(p)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %s", len(lines), b)
	}
	for i, l := range lines {
		var e struct {
			Reason   string
			Status   int
			Document json.RawMessage
		}
		if err := json.Unmarshal([]byte(l), &e); err != nil || e.Reason == "" || len(e.Document) == 0 {
			t.Errorf("line %d: %v %s", i, err, l)
		}
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(p, link); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenDeadLetterFile(link, 0); err == nil || !strings.Contains(err.Error(), "dead_letter_file") {
		t.Errorf("a symlink: %v", err)
	}
}
