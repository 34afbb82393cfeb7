package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Templates reads the audit events of a fixtures folder: every line of its *.log and *.jsonl
// files that is one JSON object of kind Event (pretty-printed files and pipeline outputs in
// other shapes are left out), in a fixed order, so that a corpus built from them is the same
// on every run.
func Templates(dir string) ([][]byte, error) {
	var files []string
	for _, pat := range []string{"*.log", "*.jsonl"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", dir, err)
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	var out [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading a fixture: %w", err)
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			line = bytes.TrimSpace(line)
			var ev struct {
				Kind string `json:"kind"`
			}
			if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &ev) != nil || ev.Kind != "Event" {
				continue
			}
			out = append(out, bytes.Clone(line))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no audit event lines in %s/*.log, *.jsonl", dir)
	}
	return out, nil
}

// corpusBase is the first generated timestamp; events follow it 10 ms apart.
var corpusBase = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// WriteCorpus writes n audit lines to w, cycling through the templates. Line i is template
// i mod len(templates) with its auditID replaced by a UUID made from i and the first 19
// characters of its timestamps (the seconds-precision part, whatever the fraction that
// follows) moved to corpusBase + 10 ms × i: every event is distinct, real-shaped, bodies
// included, and each line keeps its template's length. It returns the bytes written.
func WriteCorpus(w io.Writer, templates [][]byte, n int) (int64, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	var total int64
	line := make([]byte, 0, 1<<20)
	for i := 0; i < n; i++ {
		line = append(line[:0], templates[i%len(templates)]...)
		line = varyEvent(line, i)
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return total, fmt.Errorf("writing the corpus: %w", err)
		}
		total += int64(len(line))
	}
	if err := bw.Flush(); err != nil {
		return total, fmt.Errorf("writing the corpus: %w", err)
	}
	return total, nil
}

// varyEvent rewrites, in place, the auditID and the timestamps of event number i.
func varyEvent(line []byte, i int) []byte {
	id := fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(i), uint16(i>>32), i%0xfff, (i/7)%0xfff, uint64(i)*2654435761%(1<<48))
	overwrite(line, `"auditID":"`, id)
	ts := corpusBase.Add(time.Duration(i) * 10 * time.Millisecond).Format("2006-01-02T15:04:05")
	for _, key := range []string{`"requestReceivedTimestamp":"`, `"stageTimestamp":"`, `"timestamp":"`} {
		overwrite(line, key, ts)
	}
	return line
}

// overwrite replaces the first len(val) bytes of the string value that follows the first
// occurrence of key, when that value is at least as long; the line's length never changes.
func overwrite(line []byte, key, val string) {
	k := bytes.Index(line, []byte(key))
	if k < 0 {
		return
	}
	start := k + len(key)
	end := bytes.IndexByte(line[start:], '"')
	if end < len(val) || strings.ContainsRune(string(line[start:start+len(val)]), '\\') {
		return
	}
	copy(line[start:], val)
}
