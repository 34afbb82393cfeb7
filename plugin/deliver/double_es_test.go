package deliver

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// esWantID is the _id the intake must send for a document with key: the key, "-" and
// the base64url of the first 16 bytes of the document's SHA-256.
func esWantID(key string, doc []byte) string {
	sum := sha256.Sum256(doc)
	return key + "-" + base64.RawURLEncoding.EncodeToString(sum[:16])
}

const esTestKey = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="

// esDouble is a strict Elasticsearch _bulk endpoint: create actions only, with _index and
// a deterministic _id; it indexes by _id (a second create of the same _id is 409) and
// answers per item, in request order, honouring filter_path's shape.
type esDouble struct {
	*double
	mu      sync.Mutex
	indexed map[string]int         // _id -> document id
	seen    map[int]int            // document id -> times it came in a request
	item    func(id, seen int) int // scripted item status (0 = normal)
	slow    func(n int) time.Duration
	keyOf   func(id int) string // the auditID-stage the test gave document id (default audit-<id>-ResponseComplete)
}

func newESDouble(t *testing.T) *esDouble {
	e := &esDouble{indexed: map[string]int{}, seen: map[int]int{}}
	e.double = newDouble(t, &double{
		name: "elasticsearch", path: "/_bulk", maxBody: 100 << 20,
		check: func(r *http.Request) (int, string) {
			if r.Header.Get("Authorization") != "ApiKey "+esTestKey {
				return 401, `{"error":{"type":"security_exception","reason":"missing authentication credentials"},"status":401}`
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/x-ndjson" && ct != "application/json" {
				return 406, `{"error":"Content-Type header [` + ct + `] is not supported"}`
			}
			q := r.URL.Query()
			if q.Get("filter_path") != esFilterPath || q.Get("pipeline") != "k8s-audit" {
				return 400, "unexpected query " + r.URL.RawQuery
			}
			return 0, ""
		},
		accept: func(d *double, body []byte, w http.ResponseWriter) { e.bulk(body, w) },
	})
	return e
}

type esAction struct {
	Create *struct {
		Index string `json:"_index"`
		ID    string `json:"_id"`
	} `json:"create"`
}

func (e *esDouble) bulk(body []byte, w http.ResponseWriter) {
	d := e.double
	d.mu.Lock()
	n := d.n - 1
	d.mu.Unlock()
	if len(body) == 0 || body[len(body)-1] != '\n' {
		d.problem("bulk body does not end with a newline")
		http.Error(w, `{"error":{"type":"illegal_argument_exception","reason":"The bulk request must be terminated by a newline [\n]"}}`, 400)
		return
	}
	lines := bytes.Split(body[:len(body)-1], []byte("\n"))
	if len(lines)%2 != 0 {
		d.problem("bulk body has %d lines: not action/document pairs", len(lines))
		http.Error(w, `{"error":"odd lines"}`, 400)
		return
	}
	type item struct {
		status int
		etype  string
	}
	items := make([]item, 0, len(lines)/2)
	e.mu.Lock()
	for i := 0; i < len(lines); i += 2 {
		var act esAction
		dec := json.NewDecoder(bytes.NewReader(lines[i]))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&act); err != nil || act.Create == nil || act.Create.Index != "logs-kubernetes.audit-test" || act.Create.ID == "" {
			d.problem("bad action line %q", lines[i])
			e.mu.Unlock()
			http.Error(w, `{"error":"bad action"}`, 400)
			return
		}
		id, ok := docID(d.t, lines[i+1])
		if !ok {
			d.problem("document is not one of the test's: %.80q", lines[i+1])
			e.mu.Unlock()
			http.Error(w, `{"error":"bad doc"}`, 400)
			return
		}
		key := fmt.Sprintf("audit-%d-ResponseComplete", id)
		if e.keyOf != nil {
			key = e.keyOf(id)
		}
		if want := esWantID(key, lines[i+1]); act.Create.ID != want && len(act.Create.ID) != 32 {
			d.problem("_id %q for document %d, want %q (or a 32-digit hash)", act.Create.ID, id, want)
		}
		seen := e.seen[id]
		e.seen[id]++
		st := 0
		if e.item != nil {
			st = e.item(id, seen)
		}
		switch {
		case st != 0:
			items = append(items, item{st, map[int]string{400: "mapper_parsing_exception", 429: "es_rejected_execution_exception", 503: "unavailable_shards_exception", 403: "security_exception"}[st]})
		case e.indexed[act.Create.ID] != 0:
			items = append(items, item{409, "version_conflict_engine_exception"})
		default:
			e.indexed[act.Create.ID] = id + 1
			d.take(id)
			items = append(items, item{201, ""})
		}
	}
	e.mu.Unlock()
	if e.slow != nil {
		time.Sleep(e.slow(n)) // indexed, but the answer comes late
	}
	var b strings.Builder
	errors := false
	for _, it := range items {
		errors = errors || it.status >= 300
	}
	fmt.Fprintf(&b, `{"errors":%v,"items":[`, errors)
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		if it.etype != "" {
			fmt.Fprintf(&b, `{"create":{"status":%d,"error":{"type":%q,"reason":"scripted %d for the test","caused_by":{"reason":"because"}}}}`, it.status, it.etype, it.status)
		} else {
			fmt.Fprintf(&b, `{"create":{"status":%d}}`, it.status)
		}
	}
	b.WriteString("]}")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(200)
	w.Write([]byte(b.String()))
}
