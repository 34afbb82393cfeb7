package instance

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/k8saudit/k8saudit/plugin/chunk/chunktest"
	"github.com/k8saudit/k8saudit/plugin/config"
)

// detectEvents: an exec into a pod (K8S-001, a core rule) and a plain get of a pod (no rule).
func detectEvents(t *testing.T) [][]byte {
	t.Helper()
	exec, err := os.ReadFile(filepath.Join("..", "..", "detect", "testdata", "falco", "exec_pod.json"))
	if err != nil {
		t.Fatal(err)
	}
	get := []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"g-1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods/web","verb":"get","user":{"username":"alice"},"sourceIPs":["10.0.0.1"],"objectRef":{"resource":"pods","namespace":"default","name":"web","apiVersion":"v1"},"responseStatus":{"code":200},"stageTimestamp":"2024-01-01T00:00:00Z"}`)
	return [][]byte{compactLine(t, exec), get}
}

func compactLine(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		out.Write(bytes.TrimSpace(line))
	}
	return out.Bytes()
}

// TestFlushTagsDetections: detections are on by default: the exec is shipped as an alert
// with its rule, the get as a plain event, and the summary counts one alert. detect off
// ships both as events; detect_alerts_only ships the alert only, the other counted as left
// out.
func TestFlushTagsDetections(t *testing.T) {
	evs := detectEvents(t)
	chunk := chunktest.RawLines(evs, "log", time.Unix(1700000000, 0))
	for _, c := range []struct {
		name   string
		cfg    config.Map
		kinds  string
		counts []string
	}{
		{"default", config.Map{}, "alert,event", []string{"alerts=1", "documents=2"}},
		{"off", config.Map{"detect": "off"}, "event,event", []string{"alerts=0", "documents=2"}},
		{"alerts only", config.Map{"detect_alerts_only": "on"}, "alert", []string{"alerts=1", "documents=1", "policy_dropped=1"}},
		{"rule disabled", config.Map{"detect_rules": "-K8S-001"}, "event,event", []string{"alerts=0"}},
	} {
		c.cfg["url"] = "http://intake.invalid/"
		rec := &recorder{}
		in := newInstance(t, c.cfg, rec)
		if code := in.Flush(chunk); code != OK {
			t.Fatalf("%s: flush = %v", c.name, code)
		}
		var kinds []string
		for _, d := range rec.docs(t) {
			ev, _ := d["event"].(map[string]any)
			k, _ := ev["kind"].(string)
			kinds = append(kinds, k)
			if k == "alert" {
				if r, _ := d["rule"].(map[string]any); r == nil || !strings.Contains(strings.Join(toStrings(r["id"]), ","), "K8S-001") {
					t.Errorf("%s: alert without K8S-001: %v", c.name, d["rule"])
				}
			}
		}
		if got := strings.Join(kinds, ","); got != c.kinds {
			t.Errorf("%s: kinds %s, want %s", c.name, got, c.kinds)
		}
		for _, want := range c.counts {
			if !strings.Contains(in.Summary(), want) {
				t.Errorf("%s: summary %q lacks %s", c.name, in.Summary(), want)
			}
		}
	}
}

func toStrings(v any) []string {
	var out []string
	if list, ok := v.([]any); ok {
		for _, x := range list {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// TestFlushUnparsedText: a line no parser reads ships its length and hash only; with
// keep_unparsed_text on, its text too.
func TestFlushUnparsedText(t *testing.T) {
	bad := []byte(`{"kind":"Event","auditID":"u-1","requestObject":{"data":{"password":"UNPARSED-SECRET"}`)
	chunk := chunktest.RawLines([][]byte{bad}, "log", time.Unix(1700000000, 0))
	for _, keep := range []bool{false, true} {
		cfg := config.Map{"url": "http://intake.invalid/"}
		if keep {
			cfg["keep_unparsed_text"] = "on"
		}
		rec := &recorder{}
		in := newInstance(t, cfg, rec)
		if code := in.Flush(chunk); code != OK {
			t.Fatalf("keep %v: flush = %v", keep, code)
		}
		shipped := bytes.Contains(bytes.Join(rec.bodies, nil), []byte("UNPARSED-SECRET"))
		if shipped != keep {
			t.Errorf("keep_unparsed_text %v: text shipped %v", keep, shipped)
		}
	}
}
