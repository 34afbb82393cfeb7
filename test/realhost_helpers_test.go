package test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/k8saudit/k8saudit/test/fbhost"
)

// The real-host tests run the built plugin inside a real Fluent Bit (found by package
// fbhost: FLUENT_BIT, fluent-bit on PATH, ../shared/tools/fluent-bit/ensure; under CI=true a
// missing one fails, elsewhere the tests skip). Each test writes its own configuration into
// a temporary directory, starts Fluent Bit with a bounded context and polls for what it
// expects; a failing test prints the end of Fluent Bit's log.

// fbTimeout bounds one Fluent Bit process; every test polls for far less.
const fbTimeout = 90 * time.Second

// fluentBit returns the fluent-bit binary, or skips (fails under CI) with the reason.
func fluentBit(t testing.TB) string {
	t.Helper()
	return fbhost.Require(t, repoRoot(t))
}

// syncBuffer collects a process's output while tests read it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fbProc is one running Fluent Bit.
type fbProc struct {
	t      testing.TB
	name   string
	cmd    *exec.Cmd
	out    *syncBuffer
	done   chan struct{}
	err    error // Wait's result, once done is closed
	cancel context.CancelFunc
}

// writeIn writes text to dir/name and returns the path.
func writeIn(t testing.TB, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// startFluentBit runs fluent-bit with the plugin (-e) on the configuration file conf.
// The process is killed when the test ends, and its log is printed if the test failed.
func startFluentBit(t testing.TB, conf string, extra ...string) *fbProc {
	t.Helper()
	bin := fluentBit(t)
	so := pluginSO(t)
	ctx, cancel := context.WithTimeout(context.Background(), fbTimeout)
	args := append([]string{"-e", so, "-c", conf}, extra...)
	cmd := exec.CommandContext(ctx, bin, args...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting %s: %v", bin, err)
	}
	p := &fbProc{t: t, name: filepath.Base(conf), cmd: cmd, out: out, done: make(chan struct{}), cancel: cancel}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.exited() {
			_ = cmd.Process.Kill()
			<-p.done
		}
		cancel()
		if t.Failed() {
			t.Logf("fluent-bit %s (pid %d) log:\n%s", strings.Join(args, " "), cmd.Process.Pid, tail(out.String(), 8000))
		}
	})
	return p
}

func tail(s string, n int) string {
	if len(s) > n {
		return "...\n" + s[len(s)-n:]
	}
	return s
}

func (p *fbProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *fbProc) log() string { return p.out.String() }

func (p *fbProc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil && !p.exited() {
		p.t.Fatalf("signal %v: %v", sig, err)
	}
}

// kill9 kills Fluent Bit with SIGKILL and waits for it to be gone.
func (p *fbProc) kill9() {
	p.t.Helper()
	p.signal(syscall.SIGKILL)
	<-p.done
}

// wait waits up to timeout for Fluent Bit to exit; false if it is still running.
func (p *fbProc) wait(timeout time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// stop sends SIGTERM and fails the test unless Fluent Bit exits cleanly within timeout.
func (p *fbProc) stop(timeout time.Duration) {
	p.t.Helper()
	p.signal(syscall.SIGTERM)
	if !p.wait(timeout) {
		p.t.Errorf("fluent-bit still running %s after SIGTERM", timeout)
		return
	}
	if p.err != nil {
		p.t.Errorf("fluent-bit did not exit cleanly on SIGTERM: %v", p.err)
	}
}

// waitUntil polls cond every 50 ms until it holds, Fluent Bit exits, or timeout passes;
// the test fails with what (and Fluent Bit's log) in the last two cases.
func (p *fbProc) waitUntil(timeout time.Duration, what string, cond func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if p.exited() {
			p.t.Fatalf("fluent-bit exited (%v) before %s", p.err, what)
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("after %s: not %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// exitErr describes how the process ended, for messages.
func (p *fbProc) exitErr() string {
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.String()
	}
	return fmt.Sprint(p.err)
}

// quiet waits until n() has not changed for d (a late duplicate or a straggler would show
// up in that window), bounded by 4*d.
func quiet(d time.Duration, n func() int) {
	last, since := n(), time.Now()
	for end := time.Now().Add(4 * d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if c := n(); c != last {
			last, since = c, time.Now()
		} else if time.Since(since) >= d {
			return
		}
	}
}

// docCount is a poll function for an intake's documents.
func (in *intake) docCount() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.docs)
}

// service is the [SERVICE] section every real-host test starts from: flush and retries fast
// so that a test takes seconds, the HTTP server off (tests run in parallel).
func service(extra string) string {
	return `[SERVICE]
    flush            0.5
    grace            5
    log_level        info
    scheduler.base   1
    scheduler.cap    2
` + extra + "\n"
}

// copyLines writes lines (each without its newline) to path, appending when add is set.
func copyLines(t testing.TB, path string, lines [][]byte, add bool) {
	t.Helper()
	flag := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if add {
		flag = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if _, err := f.Write(append(append([]byte(nil), l...), '\n')); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// logLines returns the non-empty lines of a line-per-event fixture and their keys.
func logLines(t testing.TB, path string) ([][]byte, []string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	for _, l := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			lines = append(lines, l)
		}
	}
	return lines, expectedFromLines(t, path)
}
