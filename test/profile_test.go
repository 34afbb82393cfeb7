package test

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// K8SAUDIT_CPUPROFILE and K8SAUDIT_MEMPROFILE (plugin/profile.go): the .so, driven through
// the harness, writes a pprof CPU profile and a heap profile with the runtime's MemStats
// when the last instance exits, and neither file holds a byte of the events.
func TestProfilesOnRequest(t *testing.T) {
	f := filepath.Join(fixtures(t), "chunks", "tail-input.log")
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "heap.txt")
	t.Setenv("K8SAUDIT_CPUPROFILE", cpu)
	t.Setenv("K8SAUDIT_MEMPROFILE", mem)
	in := newIntake(t, nil)
	r := runHarness(t, runTimeout, append(ndjson(in.url()), "-l", f)...)
	r.mustExit(t, 0)
	in.mustBeClean(t)

	raw, err := os.ReadFile(cpu)
	if err != nil {
		t.Fatalf("no CPU profile: %v\n%s", err, r)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the CPU profile is not a gzipped pprof: %v", err)
	}
	prof, err := io.ReadAll(zr)
	if err != nil || len(prof) == 0 {
		t.Fatalf("the CPU profile does not decompress: %v (%d bytes)", err, len(prof))
	}
	heap, err := os.ReadFile(mem)
	if err != nil {
		t.Fatalf("no heap profile: %v\n%s", err, r)
	}
	for _, want := range []string{"heap profile:", "# runtime.MemStats", "# NumGC = ", "# Sys = "} {
		if !bytes.Contains(heap, []byte(want)) {
			t.Errorf("the heap profile lacks %q", want)
		}
	}
	// Every auditID of the input: none may be in a profile (names and counts only).
	lines, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	ids := 0
	for _, line := range strings.Split(string(lines), "\n") {
		_, rest, ok := strings.Cut(line, `"auditID":"`)
		if !ok {
			continue
		}
		id, _, _ := strings.Cut(rest, `"`)
		ids++
		for name, b := range map[string][]byte{"cpu": prof, "heap": heap} {
			if bytes.Contains(b, []byte(id)) {
				t.Errorf("the %s profile holds auditID %s", name, id)
			}
		}
	}
	if ids == 0 {
		t.Fatalf("no auditID in %s", f)
	}
	if !strings.Contains(string(r.stderr), "writing a CPU profile to "+cpu) {
		t.Errorf("no log line names the profile's file:\n%s", r)
	}
}
