package normalize

import (
	"bytes"
	"strings"
	"testing"

	"github.com/k8saudit/k8saudit/detect"
)

// ruleIDs turns a Doc.Rules mask into the ids it names, in catalogue order.
func ruleIDs(mask uint64) string {
	var ids []string
	for i, r := range detect.Rules() {
		if mask&(1<<i) != 0 {
			ids = append(ids, r.ID)
		}
	}
	return strings.Join(ids, ",")
}

// TestDocRulesMaskNamesTheMatchedRules: Doc.Rules (what the plugin counts per rule) names
// exactly the rules the document's rule.id lists, on both roads, and is 0 for a document
// no rule matched.
func TestDocRulesMaskNamesTheMatchedRules(t *testing.T) {
	several := bytes.Replace(falcoLine(t, "exec_pod.json"), []byte(`exec?command=`),
		[]byte(`exec?command=cat&command=%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%2Fserviceaccount%2Ftoken&x=`), 1)
	for _, noDirect := range []bool{false, true} {
		for _, c := range []struct {
			line []byte
			want string
		}{
			{falcoLine(t, "create_nginx_pod_privileged.json"), "K8S-010"},
			{several, "K8S-001,K8S-004"},
			{falcoLine(t, "create_nginx_pod_unprivileged.json"), ""},
		} {
			n := road(New(Options{Detect: detect.New(detect.Options{})}), !noDirect)
			d := n.Normalize(c.line, testRecordTime)[0]
			got := ruleIDs(d.Rules)
			if got != c.want {
				t.Errorf("direct=%v: Rules names %q, want %q", !noDirect, got, c.want)
			}
			if inDoc := joined(get(decode(t, d.JSON), "rule.id")); inDoc != got {
				t.Errorf("direct=%v: Rules names %q, the document's rule.id %q", !noDirect, got, inDoc)
			}
			if d.Alert != (d.Rules != 0) {
				t.Errorf("direct=%v: Alert %v with Rules %#x", !noDirect, d.Alert, d.Rules)
			}
		}
	}
}
