// Command testsummary runs `go test -json ...` and prints what a person needs from it: the
// full output of every failed test, every skipped test with its reason, each package's
// ok/FAIL line, and a last line "N passed, N failed, N skipped". `make test` runs the race
// and the CGO_ENABLED=0 passes through it, so that a skip is never silent and a clone that
// lacks something says what.
//
//	go run ./build/testsummary go test -json -count=1 ./...
//
// It exits 1 when the command fails or any test or package fails, 2 when the command
// cannot be started. The command's standard error passes through unchanged; lines of its
// standard output that are not test2json events (go vet, build errors of old Go) are
// printed as they are.
package main

import (
	"fmt"
	"os"
	"os/exec"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: testsummary go test -json [flags] [packages]")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	s := newSummary(os.Stdout)
	readErr := s.read(out)
	waitErr := cmd.Wait()
	ok := s.finish()
	if readErr != nil {
		fmt.Fprintln(os.Stderr, "testsummary: reading the test output:", readErr)
		ok = false
	}
	if waitErr != nil {
		fmt.Fprintf(os.Stderr, "testsummary: %s: %v\n", os.Args[1], waitErr)
		ok = false
	}
	if !ok {
		os.Exit(1)
	}
}
