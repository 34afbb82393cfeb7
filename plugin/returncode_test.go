package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/fluent/fluent-bit-go/output"

	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/instance"
	"github.com/k8saudit/k8saudit/plugin/logging"
)

func TestReturnCodes(t *testing.T) {
	for c, want := range map[instance.Code]int{instance.OK: output.FLB_OK, instance.Retry: output.FLB_RETRY, deliver.Failed: output.FLB_ERROR} {
		if got := returnCode(c); got != want {
			t.Errorf("returnCode(%v) = %d, want %d", c, got, want)
		}
	}
	if output.FLB_ERROR != 0 || output.FLB_OK != 1 || output.FLB_RETRY != 2 {
		t.Fatal("Fluent Bit's codes are FLB_ERROR 0, FLB_OK 1, FLB_RETRY 2")
	}
}

func TestPanicIsRecoveredLoggedAndMapped(t *testing.T) {
	var buf bytes.Buffer
	log := logging.NewTo(&buf, new(sync.Mutex), logging.LevelInfo, "k8saudit.test")
	flush := func() (code int) {
		defer recoverTo(log, "flush", &code, output.FLB_RETRY)
		var m map[string]int
		//lint:ignore SA5000 the nil-map write is the point: a real runtime panic
		m["boom"] = 1
		return output.FLB_OK
	}
	if code := flush(); code != output.FLB_RETRY {
		t.Errorf("a panicking flush returned %d, want FLB_RETRY", code)
	}
	if out := buf.String(); !strings.Contains(out, "panic in flush") || !strings.Contains(out, "assignment to entry in nil map") {
		t.Errorf("the panic was not logged with its cause: %q", out)
	}
}
