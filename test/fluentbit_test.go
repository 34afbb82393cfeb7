package test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// The plugin inside a real Fluent Bit, when FLUENT_BIT names its binary: tail reads a
// copy of a real audit log from the head, the plugin ships it, every event must arrive
// exactly once, and Fluent Bit must stop cleanly on SIGTERM.
func TestInsideFluentBit(t *testing.T) {
	bin := os.Getenv("FLUENT_BIT")
	if bin == "" {
		t.Skip("FLUENT_BIT not set: no fluent-bit binary to run the plugin in (Fluent Bit is not in the package registries here); set FLUENT_BIT=/path/to/fluent-bit to run this test")
	}
	if _, err := exec.LookPath(bin); err != nil {
		t.Fatalf("FLUENT_BIT=%s: %v", bin, err)
	}
	src := filepath.Join(fixtures(t), "chunks", "tail-input.log")
	want := expectedFromLines(t, src)
	so := pluginSO(t)

	dir := t.TempDir()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "audit.log")
	if err := os.WriteFile(logPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	in := newIntake(t, nil)
	conf := fmt.Sprintf(`[SERVICE]
    flush        1
    log_level    info
    grace        5

[INPUT]
    name             tail
    path             %s
    tag              kube.audit
    read_from_head   on
    buffer_max_size  16M
    db               %s

[OUTPUT]
    name          k8saudit
    match         *
    intake        ndjson
    url           %s
    cluster_name  fluent-bit
    workers       1
    retry_limit   no_limits
`, logPath, filepath.Join(dir, "tail.db"), in.url())
	confPath := filepath.Join(dir, "fluent-bit.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-e", so, "-c", confPath)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	arrived := make(chan bool, 1)
	go func() { arrived <- in.waitDocs(len(want), 60*time.Second) }()
	select {
	case ok := <-arrived:
		if !ok {
			t.Errorf("not every event arrived within 60 s")
		}
	case err := <-done:
		t.Fatalf("fluent-bit exited before delivering everything: %v\n%s", err, out.String())
	}
	time.Sleep(1500 * time.Millisecond) // a late duplicate would show up here
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("fluent-bit did not stop cleanly on SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Errorf("fluent-bit still running 20 s after SIGTERM: killed")
	}
	in.mustBeClean(t)
	docs, _, _ := in.snapshot()
	exactlyOnce(t, "inside fluent-bit", docs, want)
	if t.Failed() {
		t.Logf("fluent-bit output:\n%s", out.String())
	}
}
