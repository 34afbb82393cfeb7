package instance

import (
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/k8saudit/k8saudit/plugin/chunk/chunktest"
	"github.com/k8saudit/k8saudit/plugin/config"
	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/intake"
	"github.com/k8saudit/k8saudit/plugin/logging"
)

// The canaries planted in every event: a Secret's data, a Bearer value in a body, an
// access token in the URI (plain and percent-encoded name), a value at the bottom of a body
// nested past the scanner's limit. Redaction promises each of them away.
var propCanaries = []string{"CANARY-DATA-51c", "CANARY-BEARER-8e2", "CANARY-URI-3fa", "CANARY-PCT-77d", "CANARY-DEEP-e09"}

// propEvent is a patch of a Secret carrying every canary but the deep one; X is where a
// mutation puts a body member.
const propEvent = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"ID","stage":"ResponseComplete",` +
	`"requestURI":"/api/v1/namespaces/shop/secrets/db?access_token=CANARY-URI-3fa&acc%65ss_token=CANARY-PCT-77d","verb":"patch",` +
	`"user":{"username":"mallory","groups":["system:authenticated"]},"sourceIPs":["10.1.2.3"],"userAgent":"curl/8.0",` +
	`"objectRef":{"resource":"secrets","namespace":"shop","name":"db","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},` +
	`"requestObject":{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db","annotations":{"a":"Bearer CANARY-BEARER-8e2"}},"data":{"password":"CANARY-DATA-51c"},"x":X},` +
	`"requestReceivedTimestamp":"2024-05-01T10:00:00.000000Z","stageTimestamp":"2024-05-01T10:00:00.010000Z"}`

func deepValue(depth int, inner string) string {
	return strings.Repeat(`{"a":`, depth) + inner + strings.Repeat("}", depth)
}

// propRecord builds one mutated record from r: the shapes the hardening issue names
// (over-deep body, over-deep top level, truncation, two events on one line, byte-order
// mark, escaped keys, EventLists with a bad item or cut short). It returns the record and
// the least number of documents it must give (each event, or one pipeline_error).
func propRecord(r *rand.Rand, id int) ([]byte, int) {
	ev := strings.Replace(propEvent, `"ID"`, `"id-`+string(rune('a'+id%26))+`-`+time.Duration(id).String()+`"`, 1)
	plain := strings.Replace(ev, "X", `1`, 1)
	deepTop := strings.Replace(plain, `"auditID"`, `"zz":`+deepValue(301+r.Intn(500), "0")+`,"auditID"`, 1)
	switch r.Intn(9) {
	case 0:
		return []byte(plain), 1
	case 1:
		return []byte(strings.Replace(ev, "X", deepValue(301+r.Intn(2000), `"CANARY-DEEP-e09"`), 1)), 1
	case 2:
		return []byte(deepTop), 1
	case 3:
		return []byte(plain[:1+r.Intn(len(plain)-1)]), 1
	case 4:
		return []byte(plain + " " + plain), 1
	case 5:
		return []byte("\xef\xbb\xbf" + plain), 1
	case 6:
		s := plain
		for _, k := range []string{"data", "requestObject", "requestURI", "annotations"} {
			if r.Intn(2) == 0 {
				s = strings.ReplaceAll(s, `"`+k+`"`, `"\u00`+hexByte(k[0])+k[1:]+`"`)
			}
		}
		return []byte(s), 1
	case 7:
		return []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[` + plain + `,` + deepTop + `,` + plain + `]}`), 3
	default:
		l := `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[` + plain + `,` + plain + `]}`
		return []byte(l[:len(l)-1-r.Intn(len(plain))]), 1
	}
}

func hexByte(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}

// propIntakes are every intake with what it needs to start.
var propIntakes = []config.Map{
	{"intake": "ndjson"},
	{"intake": "elasticsearch", "index": "audit"},
	{"intake": "datadog", "api_key": "k"},
	{"intake": "splunk", "api_key": "k"},
	{"intake": "sekoia", "api_key": "k"},
	{"intake": "audit_webhook"}, // format raw only
	{"intake": "otlp"},          // protobuf
	{"intake": "otlp", "otlp_encoding": "json"},
	{"intake": "mezmo", "api_key": "k"},
}

// propElsewhere are the intakes the property does not drive through the HTTP core's
// Poster, and why their road is still covered.
var propElsewhere = map[string]string{
	"stdout":  "writes the documents the normalizer produced (the same bytes ndjson ships), to standard output",
	"syslog":  "frames the same documents (a cut body is cut, never widened); its header fields are read from the document; its own tests cover the transport",
	"kafka":   "produces the same documents as records; its key is a digest; dead letters go through deliver's dead-letter file; its own tests cover the transport",
	"discard": "a test intake that drops everything",
}

// TestPropertyCoversEveryIntake: an intake added to the registry joins the property
// (propIntakes) or says in propElsewhere why its road is covered otherwise.
func TestPropertyCoversEveryIntake(t *testing.T) {
	in := map[string]bool{}
	for _, m := range propIntakes {
		in[m["intake"]] = true
	}
	all := intake.All()
	if len(all) < len(in)+3 {
		t.Fatalf("the registry lists %d intakes: is plugin/intake/all imported?", len(all))
	}
	for _, it := range all {
		if !in[it.Name] && propElsewhere[it.Name] == "" {
			t.Errorf("intake %s is in neither propIntakes nor propElsewhere: add it to the canary property", it.Name)
		}
	}
}

// TestNoCanaryLeavesByAnyRoad is the hardening property across every intake and both
// formats: mutated events with planted secrets go through the instance into an intake that
// rejects some requests for good (400: the dead-letter file) and fails others (503); no
// canary appears in what is shipped, dead-lettered or logged (debug level), and every
// document is accounted for: delivered or dead-lettered, none lost.
func TestNoCanaryLeavesByAnyRoad(t *testing.T) {
	r := rand.New(rand.NewSource(12))
	for round := 0; round < 2; round++ {
		for _, base := range propIntakes {
			for _, format := range []string{"ecs", "raw"} {
				if base["intake"] == "audit_webhook" && format == "ecs" {
					continue // it ships audit events: format raw only
				}
				var recs [][]byte
				least := 0
				for i := 0; i < 30; i++ {
					rec, n := propRecord(r, round*1000+i)
					recs = append(recs, rec)
					least += n
				}
				checkNoCanary(t, base, format, recs, least)
			}
		}
	}
}

func checkNoCanary(t *testing.T, base config.Map, format string, recs [][]byte, least int) {
	t.Helper()
	dir := t.TempDir()
	dl := filepath.Join(dir, "dead.ndjson")
	cfg := config.Map{"url": "http://intake.invalid/", "format": format, "dead_letter_file": dl, "batch_events": "7", "event_original": "on"}
	for k, v := range base {
		cfg[k] = v
	}
	var logBuf bytes.Buffer
	var logMu sync.Mutex
	parsed, _, err := config.Parse(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{answer: func(n int) deliver.Answer {
		switch n % 5 {
		case 1:
			return deliver.Answer{Status: 400, Body: []byte(`{"error":"bad document"}`)}
		case 3:
			if n < 20 {
				return deliver.Answer{Status: 503}
			}
		}
		return deliver.Answer{Status: 200, Body: okBody(base["intake"])}
	}}
	in, err := New(parsed, logging.NewTo(&logBuf, &logMu, logging.LevelDebug, "prop"), rec)
	if err != nil {
		t.Fatal(err)
	}
	chunk := chunktest.RawLines(recs, "log", time.Unix(1714557600, 0))
	for try := 0; try < 20; try++ {
		if in.Flush(chunk) == OK {
			break
		}
	}
	_ = in.Close()

	rec.mu.Lock()
	shipped := bytes.Join(rec.bodies, []byte("\n"))
	rec.mu.Unlock()
	dead, _ := os.ReadFile(dl)
	logMu.Lock()
	logs := logBuf.Bytes()
	logMu.Unlock()
	for _, c := range propCanaries {
		for road, b := range map[string][]byte{"intake": shipped, "dead letter": dead, "log": logs} {
			if bytes.Contains(b, []byte(c)) {
				i := bytes.Index(b, []byte(c))
				t.Fatalf("%s %s: canary %s in the %s: …%s…", base["intake"], format, c, road, b[max(0, i-200):min(len(b), i+60)])
			}
		}
	}
	st := in.shipper.Stats()
	docs := in.documents.Load()
	if docs < uint64(least) {
		t.Errorf("%s %s: %d documents from %d records, want at least %d", base["intake"], format, docs, len(recs), least)
	}
	// SkippedDocs: a request (or a document set aside alone) identical to one already done
	// in this chunk is not sent again (the idempotence memory): two mutated records that
	// are the same broken text make the same pipeline_error document.
	if st.Delivered+st.DeadLettered+st.SkippedDocs != docs {
		t.Errorf("%s %s: delivered %d + dead-lettered %d + skipped as identical %d != %d documents", base["intake"], format, st.Delivered, st.DeadLettered, st.SkippedDocs, docs)
	}
	if st.DeadLettered > 0 && len(dead) == 0 {
		t.Errorf("%s %s: %d dead-lettered, dead-letter file empty", base["intake"], format, st.DeadLettered)
	}
}

// okBody is an intake's answer of success where the intake answers per document.
func okBody(intake string) []byte {
	switch intake {
	case "elasticsearch":
		return []byte(`{"errors":false}`)
	case "splunk":
		return []byte(`{"text":"Success","code":0}`)
	}
	return nil
}

// FuzzNoCanaryLeaves runs the property on records drawn from a fuzzed seed (make fuzz).
func FuzzNoCanaryLeaves(f *testing.F) {
	for _, s := range []int64{1, 2, 3} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, seed int64, which uint8) {
		r := rand.New(rand.NewSource(seed))
		var recs [][]byte
		least := 0
		for i := 0; i < 6; i++ {
			rec, n := propRecord(r, i)
			recs = append(recs, rec)
			least += n
		}
		base := propIntakes[int(which)%len(propIntakes)]
		format := []string{"ecs", "raw"}[int(which/8)%2]
		if base["intake"] == "audit_webhook" {
			format = "raw"
		}
		checkNoCanary(t, base, format, recs, least)
	})
}
