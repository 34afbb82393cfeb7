package instance

import (
	"strings"
	"testing"

	"github.com/k8saudit/k8saudit/plugin/config"
	"github.com/k8saudit/k8saudit/plugin/intake"
	discardintake "github.com/k8saudit/k8saudit/plugin/intake/discard"
)

// TestInstanceShipsToARegisteredIntake: an intake with its own transport, added as one
// package and one registry line, is what the instance flushes into: every document of a
// real chunk reaches its Shipper, and the exit line counts them from its Stats.
func TestInstanceShipsToARegisteredIntake(t *testing.T) {
	intake.Register(discardintake.Intake)
	t.Cleanup(func() { intake.Unregister(discardintake.Intake.Name) })
	in := newInstance(t, config.Map{"intake": "discard"}, nil)
	if code := in.Flush(readFixture(t, "chunks", "v5-tail-raw.msgpack")); code != OK {
		t.Fatalf("flush = %v", code)
	}
	if s := in.Summary(); !strings.Contains(s, "documents=142 ") || !strings.Contains(s, "delivered=142 ") {
		t.Errorf("summary: %s", s)
	}
	sh := in.shipper.(*discardintake.Shipper)
	_ = in.Close()
	if !sh.Closed() {
		t.Error("Close did not close the intake's Shipper")
	}
}
