package normalize

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/k8saudit/k8saudit/normalize/policy"
)

// The secret material in testdata/redact/secrets.jsonl: a Secret created,
// updated, patched (JSON patch), listed and read, a TokenRequest, a
// TokenReview, an access_token in a request URI, and a ConfigMap whose
// data.password only the user's redact_paths covers.
var redactSecrets = []string{
	"hunter2-SECRET-pw", "plain-SECRET-sd", "lastapplied-SECRET-la", "eyJ-SECRET-tokreq",
	"eyJ-SECRET-tokrev", "AT-SECRET-uri", "cfg-SECRET-patch", "user-SECRET-path",
}

func secretLines(t testing.TB) [][]byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "redact", "secrets.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return splitLines(b)
}

// leaks returns the secrets (or their base64 forms) found in out.
func leaks(out []byte) []string {
	var found []string
	for _, s := range redactSecrets {
		for _, form := range []string{s, base64.StdEncoding.EncodeToString([]byte(s)), base64.RawStdEncoding.EncodeToString([]byte(s))} {
			if bytes.Contains(out, []byte(form)) {
				found = append(found, form)
			}
		}
	}
	return found
}

var redactOpts = Options{Redact: true, RedactPaths: []string{"data.password"}}

func withFormat(o Options, f Format, original bool) Options {
	o.Format, o.EventOriginal = f, original
	return o
}

func TestRedactNoSecretLeaves(t *testing.T) {
	lines := secretLines(t)
	for _, f := range []Format{ECS, Raw} {
		for _, orig := range []bool{false, true} {
			n := New(withFormat(redactOpts, f, orig))
			for i, l := range lines {
				docs := n.Normalize(l, testRecordTime)
				if len(docs) != 1 || docs[0].Error {
					t.Fatalf("%v line %d: %d docs", f, i, len(docs))
				}
				out := docs[0].JSON
				if !json.Valid(out) {
					t.Fatalf("%v line %d: invalid JSON %s", f, i, out)
				}
				if l := leaks(out); len(l) > 0 {
					t.Errorf("%v original=%v line %d leaks %q:\n%s", f, orig, i, l, out)
				}
				if !docs[0].Redacted {
					t.Errorf("%v line %d: Doc.Redacted not set", f, i)
				}
				marker := `"labels":{"redacted":true}`
				if f == Raw {
					marker = `"` + RedactedAnnotation + `":"true"`
				}
				if !bytes.Contains(out, []byte(marker)) {
					t.Errorf("%v line %d: no marker %s in %s", f, i, marker, out)
				}
			}
		}
	}
}

// Keys stay, values go; what is not secret stays.
func TestRedactKeepsKeys(t *testing.T) {
	lines := secretLines(t)
	for _, f := range []Format{ECS, Raw} {
		n := New(withFormat(redactOpts, f, false))
		want := map[int][]string{
			0: {`"data":{"password":"[REDACTED]"}`, `"stringData":{"token":"[REDACTED]"}`,
				`"kubectl.kubernetes.io/last-applied-configuration":"[REDACTED]"`, `"team":"blue"`, `"type":"Opaque"`},
			2: {`"path":"/data/cfg","value":"[REDACTED]"`},
			3: {`"items":[{`, `"data":{"password":"[REDACTED]"}`},
			5: {`"status":{"token":"[REDACTED]","expirationTimestamp"`, `"audiences":["api"]`},
			6: {`"spec":{"token":"[REDACTED]"}`, `"username":"bob"`},
			7: {`access_token=[REDACTED]&limit=5`, `watch=1`},
			8: {`"data":{"color":"blue","password":"[REDACTED]"}`},
		}
		for i, subs := range want {
			out := n.Normalize(lines[i], testRecordTime)[0].JSON
			for _, s := range subs {
				if !bytes.Contains(out, []byte(s)) {
					t.Errorf("%v line %d: %s missing in %s", f, i, s, out)
				}
			}
		}
	}
	// ECS: url.query and url.original too.
	n := New(redactOpts)
	out := n.Normalize(lines[7], testRecordTime)[0].JSON
	m := decode(t, out)
	for _, p := range []string{"url.original", "url.query", "kubernetes.audit.requestURI"} {
		if s, _ := get(m, p).(string); !strings.Contains(s, "access_token=[REDACTED]") {
			t.Errorf("%s = %q", p, s)
		}
	}
}

func TestRedactOff(t *testing.T) {
	lines := secretLines(t)
	for _, f := range []Format{ECS, Raw} {
		n := New(Options{Format: f})
		var all []byte
		for _, l := range lines {
			d := n.Normalize(l, testRecordTime)[0]
			if d.Redacted || bytes.Contains(d.JSON, []byte("REDACTED")) {
				t.Errorf("%v: redacted with redaction off: %s", f, d.JSON)
			}
			all = append(all, d.JSON...)
		}
		if l := leaks(all); len(l) < len(redactSecrets) {
			t.Errorf("%v: redaction off should keep every secret, found only %q", f, l)
		}
	}
}

// An event with nothing secret is not marked and is written as without
// redaction.
func TestRedactLeavesOtherEventsAlone(t *testing.T) {
	lines := realLines(t)
	for _, f := range []Format{ECS, Raw} {
		plain, red := New(Options{Format: f}), New(Options{Format: f, Redact: true})
		for i, l := range lines {
			a := plain.Normalize(l, testRecordTime)
			b := red.Normalize(l, testRecordTime)
			if len(a) != len(b) {
				t.Fatalf("line %d: %d vs %d docs", i, len(a), len(b))
			}
			for j := range a {
				if b[j].Redacted {
					continue
				}
				if !bytes.Equal(a[j].JSON, b[j].JSON) {
					t.Errorf("%v line %d doc %d differs without redaction:\n%s\n%s", f, i, j, a[j].JSON, b[j].JSON)
				}
			}
		}
	}
}

// The old road (a body that is not strict JSON) is redacted too.
func TestRedactOldRoad(t *testing.T) {
	line := secretLines(t)[0]
	odd := bytes.Replace(line, []byte(`"type":"Opaque"`), []byte(`"type":NaN`), 1)
	for _, f := range []Format{ECS, Raw} {
		for _, orig := range []bool{false, true} {
			n := New(withFormat(redactOpts, f, orig))
			d := n.Normalize(odd, testRecordTime)
			if len(d) != 1 || d[0].Error {
				t.Fatalf("%v: %d docs", f, len(d))
			}
			if l := leaks(d[0].JSON); len(l) > 0 {
				t.Errorf("%v original=%v: leaks %q: %s", f, orig, l, d[0].JSON)
			}
			if !bytes.Contains(d[0].JSON, []byte(`"password":"[REDACTED]"`)) {
				t.Errorf("%v: keys lost: %s", f, d[0].JSON)
			}
		}
	}
}

func mustPolicy(t testing.TB, y string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse("test.yaml", []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\n"+y))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPolicyThroughNormalizer(t *testing.T) {
	lines := secretLines(t) // every line is logged at RequestResponse
	create, getLine, tokReq := lines[0], lines[4], lines[5]
	received := bytes.Replace(create, []byte(`"stage":"ResponseComplete"`), []byte(`"stage":"RequestReceived"`), 1)
	atRequest := bytes.Replace(create, []byte(`"level":"RequestResponse"`), []byte(`"level":"Request"`), 1)
	atMetadata := bytes.Replace(create, []byte(`"level":"RequestResponse"`), []byte(`"level":"Metadata"`), 1)
	list := append(append(append([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[`), getLine...), ','), append(create, ']', '}')...)

	type want struct {
		docs      int
		dropped   int
		req, resp bool
		level     string
	}
	cases := []struct {
		name, policy string
		line         []byte
		want         want
	}{
		{"drop gets", "rules:\n- level: None\n  verbs: [get]\n- level: RequestResponse\n", getLine, want{0, 1, false, false, ""}},
		{"drop gets, keep creates", "rules:\n- level: None\n  verbs: [get]\n- level: RequestResponse\n", create, want{1, 0, true, true, "RequestResponse"}},
		{"drop gets in a list", "rules:\n- level: None\n  verbs: [get]\n- level: RequestResponse\n", list, want{1, 1, true, true, "RequestResponse"}},
		{"no rule matches", "rules:\n- level: Metadata\n  verbs: [delete]\n", create, want{0, 1, false, false, ""}},
		{"metadata", "rules:\n- level: Metadata\n", create, want{1, 0, false, false, "Metadata"}},
		{"request", "rules:\n- level: Request\n", tokReq, want{1, 0, true, false, "Request"}},
		{"omitStages", "omitStages: [RequestReceived]\nrules:\n- level: RequestResponse\n", received, want{0, 1, false, false, ""}},
		{"omitStages other stage", "omitStages: [RequestReceived]\nrules:\n- level: RequestResponse\n", create, want{1, 0, true, true, "RequestResponse"}},
		{"event level caps", "rules:\n- level: RequestResponse\n", atRequest, want{1, 0, true, false, "Request"}},
		{"event level caps to metadata", "rules:\n- level: RequestResponse\n", atMetadata, want{1, 0, false, false, "Metadata"}},
	}
	for _, c := range cases {
		for _, f := range []Format{ECS, Raw} {
			for _, orig := range []bool{false, true} {
				o := Options{Format: f, EventOriginal: orig, Policy: mustPolicy(t, c.policy)}
				n := New(o)
				docs := n.Normalize(c.line, testRecordTime)
				if len(docs) != c.want.docs || n.Dropped() != c.want.dropped {
					t.Errorf("%s %v: %d docs, %d dropped; want %d, %d", c.name, f, len(docs), n.Dropped(), c.want.docs, c.want.dropped)
					continue
				}
				if len(docs) == 0 {
					continue
				}
				d := docs[len(docs)-1]
				m := decode(t, d.JSON)
				prefix := "kubernetes.audit."
				if f == Raw {
					prefix = ""
				}
				hasReq, hasResp := get(m, prefix+"requestObject") != nil, get(m, prefix+"responseObject") != nil
				level, _ := get(m, prefix+"level").(string)
				if hasReq != c.want.req || hasResp != c.want.resp || level != c.want.level {
					t.Errorf("%s %v: requestObject %v responseObject %v level %q; want %v %v %q", c.name, f, hasReq, hasResp, level, c.want.req, c.want.resp, c.want.level)
				}
				if f == ECS && orig {
					// event.original never holds what the policy left out.
					s, _ := get(m, "event.original").(string)
					if !c.want.req && strings.Contains(s, "requestObject") || !c.want.resp && strings.Contains(s, "responseObject") {
						t.Errorf("%s: event.original holds a body the policy left out: %s", c.name, s)
					}
				}
			}
		}
	}
}

func gcePolicy(t testing.TB) *policy.Policy {
	t.Helper()
	p, err := policy.Load(filepath.Join("..", "conf", "policies", "gce.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestZeroAllocsPolicyRedact: the promise of TestZeroAllocs holds with a
// policy and redaction, on the real fixtures and the secret events.
func TestZeroAllocsPolicyRedact(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	p := gcePolicy(t)
	lines := append(realLines(t), secretLines(t)...)
	for _, o := range []Options{
		{Format: ECS, Policy: p, Redact: true, RedactPaths: []string{"data.password"}},
		{Format: ECS, Policy: p, Redact: true, EventOriginal: true},
		{Format: Raw, Policy: p, Redact: true},
		{Format: ECS, Redact: true, EventOriginal: true},
		{Format: Raw, Redact: true, RedactPaths: []string{"spec.containers"}},
	} {
		n := New(o)
		for pass := 0; pass < 2; pass++ {
			for _, l := range lines {
				n.Normalize(l, testRecordTime)
			}
		}
		for i, l := range lines {
			docs := n.Normalize(l, testRecordTime)
			if len(docs) == 1 && docs[0].Error {
				continue
			}
			if a := testing.AllocsPerRun(5, func() { n.Normalize(l, testRecordTime) }); a != 0 {
				t.Errorf("%v policy=%v line %d: %.1f allocs per run", o.Format, o.Policy != nil, i, a)
			}
		}
	}
}
