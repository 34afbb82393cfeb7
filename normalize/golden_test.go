package normalize

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// TestGolden holds the ECS output of every fixture file byte for byte
// (one document per line, ClusterName "test-cluster", record time
// testRecordTime). Regenerate with: go test ./normalize -update
func TestGolden(t *testing.T) {
	n := New(Options{ClusterName: "test-cluster"})
	for _, f := range loadFixtures(t) {
		var out bytes.Buffer
		for _, r := range f.records {
			for _, d := range n.Normalize(r, testRecordTime) {
				out.Write(d.JSON)
				out.WriteByte('\n')
			}
		}
		path := filepath.Join("testdata", "golden", f.name+".ndjson")
		if *update {
			if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./normalize -update)", err)
		}
		if !bytes.Equal(out.Bytes(), want) {
			got := bytes.Split(out.Bytes(), []byte("\n"))
			exp := bytes.Split(want, []byte("\n"))
			for i := 0; i < len(got) && i < len(exp); i++ {
				if !bytes.Equal(got[i], exp[i]) {
					t.Errorf("%s line %d differs:\n got %.400s\nwant %.400s", path, i+1, got[i], exp[i])
					break
				}
			}
			if len(got) != len(exp) {
				t.Errorf("%s: %d lines, want %d", path, len(got), len(exp))
			}
		}
	}
}
