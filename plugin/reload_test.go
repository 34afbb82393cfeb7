package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/k8saudit/k8saudit/plugin/instance"
	"github.com/k8saudit/k8saudit/plugin/logging"
)

// fakeTasks makes taskDir a directory of threads with the given names.
func fakeTasks(t *testing.T, names ...string) {
	t.Helper()
	dir := t.TempDir()
	for i, n := range names {
		d := filepath.Join(dir, string(rune('1'+i)))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "comm"), []byte(n+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := taskDir
	taskDir = dir
	t.Cleanup(func() { taskDir = old })
}

func TestPreRegisterRefusesHotReloadWithWorkerThreads(t *testing.T) {
	cases := []struct {
		name    string
		threads []string
		reload  bool
		want    bool
		say     string
	}{
		{"first start", []string{"fluent-bit", "flb-out-k8saudi"}, false, true, ""},
		{"reload, workers 0", []string{"fluent-bit", "flb-pipeline", "flb-out-stdout."}, true, true, "workers 0"},
		{"reload, workers 2", []string{"fluent-bit", "flb-out-k8saudi", "flb-out-k8saudi"}, true, false, "2 worker thread(s)"},
		{"reload, threads unknown", nil, true, false, "cannot tell"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fakeTasks(t, c.threads...)
			var buf bytes.Buffer
			log := logging.NewTo(&buf, new(sync.Mutex), logging.LevelInfo, "k8saudit")
			if got := preRegister(c.reload, log); got != c.want {
				t.Errorf("preRegister(%t) = %t, want %t; log: %s", c.reload, got, c.want, buf.String())
			}
			if !strings.Contains(buf.String(), c.say) {
				t.Errorf("log %q does not say %q", buf.String(), c.say)
			}
			if !c.want && !strings.Contains(buf.String(), "restart Fluent Bit") {
				t.Errorf("the refusal does not say what to do: %s", buf.String())
			}
		})
	}
}

// The real thread list of this test process holds no Fluent Bit worker.
func TestWorkerThreadsOfThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/task"); err != nil {
		t.Skip("no /proc/self/task")
	}
	n, err := workerThreads()
	if err != nil || n != 0 {
		t.Errorf("workerThreads() = %d, %v; want 0, nil", n, err)
	}
}

// After every instance is closed (the old context of a hot reload), numbering restarts at 0.
func TestInstanceNumberingRestartsWhenAllClosed(t *testing.T) {
	a, b := new(instance.Instance), new(instance.Instance) // only their identity matters here
	if id := nextInstanceID(); id != 0 {
		t.Fatalf("first id %d, want 0", id)
	}
	register(0, a)
	if id := nextInstanceID(); id != 1 {
		t.Fatalf("second id %d, want 1", id)
	}
	register(1, b)
	unregister(a)
	unregister(b)
	if id := nextInstanceID(); id != 0 {
		t.Errorf("first id after every instance closed: %d, want 0", id)
	}
}
