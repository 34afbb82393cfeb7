package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string // build-output and build-fail events
}

// summary turns the event stream into the printed report. Output of a test is held until
// the test ends: printed if it failed or skipped, dropped if it passed.
type summary struct {
	w                       io.Writer
	held                    map[string][]string // package + "\x00" + test -> output lines
	passed, failed, skipped int
	failedPkgs              map[string]bool // packages that reported fail
	pkgsWithFailedTests     map[string]bool
}

func newSummary(w io.Writer) *summary {
	return &summary{w: w, held: map[string][]string{}, failedPkgs: map[string]bool{}, pkgsWithFailedTests: map[string]bool{}}
}

// read consumes the command's standard output until EOF.
func (s *summary) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		s.line(sc.Bytes())
	}
	return sc.Err()
}

func (s *summary) line(b []byte) {
	var e event
	if len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &e) != nil || e.Action == "" {
		fmt.Fprintf(s.w, "%s\n", b)
		return
	}
	key := e.Package + "\x00" + e.Test
	switch {
	case e.Action == "build-output":
		io.WriteString(s.w, e.Output)
	case e.Test == "" && e.Action == "output":
		// Package-level lines: "ok  pkg 1.2s", "FAIL pkg", "? pkg [no test files]",
		// panics and timeouts outside a test. The bare PASS/FAIL before them repeats them.
		if e.Output != "PASS\n" && e.Output != "FAIL\n" {
			io.WriteString(s.w, e.Output)
		}
	case e.Test == "" && e.Action == "fail":
		s.failedPkgs[e.Package] = true
		s.flushUnfinished(e.Package)
	case e.Test == "":
		// start, pass, skip of a package: its output line says it.
	case e.Action == "output":
		s.held[key] = append(s.held[key], e.Output)
	case e.Action == "pass":
		s.passed++
		delete(s.held, key)
	case e.Action == "fail":
		s.failed++
		s.pkgsWithFailedTests[e.Package] = true
		s.print(s.held[key], "--- FAIL")
		delete(s.held, key)
	case e.Action == "skip":
		s.skipped++
		s.print(s.held[key], "--- SKIP")
		delete(s.held, key)
	}
}

// print writes a test's output without the === RUN/PAUSE/CONT/NAME markers, its
// "--- FAIL"/"--- SKIP" line first so that the reason reads under the test's name.
func (s *summary) print(lines []string, verdict string) {
	var head, body []string
	for _, l := range lines {
		t := strings.TrimLeft(l, " ")
		switch {
		case strings.HasPrefix(l, "=== "):
		case strings.HasPrefix(t, verdict):
			head = append(head, l)
		default:
			body = append(body, l)
		}
	}
	for _, l := range append(head, body...) {
		io.WriteString(s.w, l)
	}
}

// flushUnfinished prints the output of tests of pkg that never ended (a panic, a timeout
// or os.Exit took the package down while they ran).
func (s *summary) flushUnfinished(pkg string) {
	var keys []string
	for k := range s.held {
		if strings.HasPrefix(k, pkg+"\x00") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(s.w, "--- UNFINISHED: %s (the package failed while it ran)\n", strings.TrimPrefix(k, pkg+"\x00"))
		s.print(s.held[k], "--- ")
		delete(s.held, k)
	}
}

// finish prints the closing line and reports whether everything passed. A package that
// failed without a failed test (build error, TestMain, panic outside a test) counts as
// one failure, so that the line never says 0 failed when something did.
func (s *summary) finish() bool {
	failed := s.failed
	for p := range s.failedPkgs {
		if !s.pkgsWithFailedTests[p] {
			failed++
		}
	}
	fmt.Fprintf(s.w, "%d passed, %d failed, %d skipped\n", s.passed, failed, s.skipped)
	return failed == 0
}
