package main

import (
	"os"
	"strings"
	"testing"
)

func run(t *testing.T, in string) (string, bool) {
	t.Helper()
	var out strings.Builder
	s := newSummary(&out)
	if err := s.read(strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	ok := s.finish()
	return out.String(), ok
}

// TestDemoStream: real `go test -json` output (Go 1.26, testdata/demo.jsonl: a package
// with a pass, a skip, a failure and subtests, and a package that does not build). The
// report holds the build error, each skip with its reason under its name, the failure
// with all of its lines, no passing test's output and no === markers; the build failure
// counts as a failure.
func TestDemoStream(t *testing.T) {
	in, err := os.ReadFile("testdata/demo.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	got, ok := run(t, string(in))
	want := `# example.com/demo/b [example.com/demo/b.test]
b/b.go:3:23: cannot use "x" (untyped string constant) as int value in return statement
FAIL	example.com/demo/b [build failed]
--- SKIP: TestSkip (0.00s)
    a_test.go:6: no fluent-bit here
--- FAIL: TestFail (0.00s)
    a_test.go:7: context line
    a_test.go:7: boom
--- SKIP: TestSub/skipped (0.00s)
    a_test.go:10: reason 7
FAIL	example.com/demo/a	0.047s
3 passed, 2 failed, 2 skipped
`
	if got != want {
		t.Fatalf("report:\n%s\nwant:\n%s", got, want)
	}
	if ok {
		t.Fatal("a stream with failures reported success")
	}
}

// TestAllPassed: passing tests print nothing but their package's ok line, and the result
// is success; a line that is not an event (go vet's, say) is printed as it is.
func TestAllPassed(t *testing.T) {
	got, ok := run(t, `not json
{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"output","Package":"p","Test":"TestA","Output":"    a_test.go:1: chatter\n"}
{"Action":"pass","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Output":"PASS\n"}
{"Action":"output","Package":"p","Output":"ok  \tp\t0.1s\n"}
{"Action":"pass","Package":"p"}
`)
	if want := "not json\nok  \tp\t0.1s\n1 passed, 0 failed, 0 skipped\n"; got != want || !ok {
		t.Fatalf("report %q, ok %v; want %q, true", got, ok, want)
	}
}

// TestUnfinishedTest: a test that never ends because its package died (a timeout panic)
// has its output printed, and the package counts as a failure.
func TestUnfinishedTest(t *testing.T) {
	got, ok := run(t, `{"Action":"run","Package":"p","Test":"TestHang"}
{"Action":"output","Package":"p","Test":"TestHang","Output":"    h_test.go:3: waiting\n"}
{"Action":"output","Package":"p","Output":"panic: test timed out after 1s\n"}
{"Action":"output","Package":"p","Output":"FAIL\tp\t1.0s\n"}
{"Action":"fail","Package":"p"}
`)
	for _, w := range []string{"panic: test timed out", "--- UNFINISHED: TestHang", "h_test.go:3: waiting", "0 passed, 1 failed, 0 skipped"} {
		if !strings.Contains(got, w) {
			t.Errorf("report lacks %q:\n%s", w, got)
		}
	}
	if ok {
		t.Fatal("a failed package reported success")
	}
}
