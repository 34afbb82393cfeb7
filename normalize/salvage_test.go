package normalize

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/k8saudit/k8saudit/normalize/policy"
)

// Canaries planted in events: a Secret's data and stringData values (a
// bearer token), a token in the request URI, and text nested too deeply in
// a body. With redaction on, none may appear in any document.
var canaries = []string{"CANARY-DATA-7f3a", "CANARY-BEARER-9c1e", "CANARY-URI-4d2b", "CANARY-DEEP-1b8f"}

func canaryIn(b []byte) string {
	for _, c := range canaries {
		if bytes.Contains(b, []byte(c)) {
			return c
		}
	}
	return ""
}

// secretEvent is an event that patches a Secret, with every canary but the
// deep one planted.
const secretEvent = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a-1","stage":"ResponseComplete",` +
	`"requestURI":"/api/v1/namespaces/ns/secrets/s?token=CANARY-URI-4d2b","verb":"patch",` +
	`"user":{"username":"eve","uid":"u-1","groups":["dev","system:authenticated"]},"sourceIPs":["10.1.2.3"],` +
	`"userAgent":"kubectl/v1.30.0 (linux/amd64) kubernetes/abc","objectRef":{"resource":"secrets","namespace":"ns","name":"s","apiVersion":"v1"},` +
	`"responseStatus":{"metadata":{},"code":200},` +
	`"requestObject":{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s"},"data":{"password":"CANARY-DATA-7f3a"},"stringData":{"token":"Bearer CANARY-BEARER-9c1e"},"spec":X},` +
	`"requestReceivedTimestamp":"2024-01-02T03:04:05.000000Z","stageTimestamp":"2024-01-02T03:04:06.000000Z",` +
	`"annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC"}}`

func nested(depth int, inner string) string {
	return strings.Repeat(`[`, depth) + inner + strings.Repeat(`]`, depth)
}

func secretWith(spec string) string { return strings.Replace(secretEvent, "X", spec, 1) }

var allFormats = []Options{
	{Redact: true},
	{Redact: true, EventOriginal: true},
	{Redact: true, Format: Raw},
}

// TestUnparsableNeverShipsText: what the parsers refuse (a truncated line,
// a stray byte, nesting past fastjson's limit outside the bodies) is no
// longer shipped as its text: the event is salvaged (user, verb, objectRef,
// source, timestamps) through redaction, or becomes a pipeline_error with
// the text's length and hash only. Before, a pipeline_error carried the
// raw line, Secret and token included, in event.original.
func TestUnparsableNeverShipsText(t *testing.T) {
	ev := secretWith(`{"a":1}`)
	deepTop := strings.Replace(ev, `"verb":"patch",`, `"verb":"patch","x":`+nested(400, "1")+`,`, 1)
	const end, record = "2024-01-02T03:04:06.000000000Z", "1970-01-01T00:00:00.000000005Z"
	cases := []struct {
		name, rec string
		salvaged  bool
		ts        string // @timestamp: stageTimestamp, or the record time when the line ends before it
	}{
		{"truncated in the body", ev[:strings.Index(ev, "CANARY-BEARER")+8], true, record},
		{"nested too deeply outside the bodies", deepTop, true, end},
		{"stray byte in the body", strings.Replace(ev, `"data":{`, `"data":{#`, 1), true, end},
		{"no event", `{"requestObject":{"data":{"password":"CANARY-DATA-7f3a"}},` + "\x00", false, ""},
		{"not JSON at all", "password=CANARY-DATA-7f3a", false, ""},
	}
	for _, c := range cases {
		for _, o := range allFormats {
			docs := New(o).Normalize([]byte(c.rec), 5)
			if len(docs) != 1 {
				t.Fatalf("%s %v: %d documents", c.name, o.Format, len(docs))
			}
			d := docs[0]
			if leak := canaryIn(d.JSON); leak != "" {
				t.Errorf("%s %v: %s shipped: %s", c.name, o.Format, leak, d.JSON)
			}
			if d.Salvaged != c.salvaged || d.Error == c.salvaged {
				t.Errorf("%s %v: salvaged %v error %v: %s", c.name, o.Format, d.Salvaged, d.Error, d.JSON)
			}
			m := decode(t, d.JSON)
			if !c.salvaged {
				sum := sha256.Sum256([]byte(c.rec))
				expect(t, m, map[string]any{"event.kind": "pipeline_error", "event.original": nil,
					"event.hash": hex.EncodeToString(sum[:]), "labels.original_bytes": len(c.rec)})
				continue
			}
			if o.Format == Raw {
				expect(t, m, map[string]any{"auditID": "a-1", "verb": "patch", "user.username": "eve",
					"objectRef.resource": "secrets", "requestObject": nil,
					"requestURI": "/api/v1/namespaces/ns/secrets/s?token=[REDACTED]"})
				if a, _ := m["annotations"].(map[string]any); a == nil || a[SalvagedAnnotation] == nil {
					t.Errorf("%s: no %s annotation: %s", c.name, SalvagedAnnotation, d.JSON)
				}
				continue
			}
			expect(t, m, map[string]any{"event.kind": "event", "event.id": "a-1", "event.action": "patch",
				"user.name": "eve", "user.group.name": []any{"dev", "system:authenticated"}, "source.ip": "10.1.2.3",
				"orchestrator.resource.type": "secrets", "orchestrator.namespace": "ns", "orchestrator.resource.name": "s",
				"url.query": "token=[REDACTED]", "labels.salvaged": true, "labels.redacted": true,
				"kubernetes.audit.requestObject": nil, "@timestamp": c.ts})
			if msg, _ := get(m, "error.message").(string); !strings.HasPrefix(msg, "salvaged from a record that could not be parsed: ") {
				t.Errorf("%s: error.message %q", c.name, msg)
			}
		}
	}
}

// TestKeepUnparsedText: the text comes back, bounded, only when asked for.
func TestKeepUnparsedText(t *testing.T) {
	ev := secretWith(`{}`)
	rec := ev[:len(ev)-40]
	o := Options{Redact: true, KeepUnparsedText: true, MaxOriginalBytes: 100}
	d, m := normOne(t, o, rec, 1)
	if !d.Salvaged {
		t.Fatalf("not salvaged: %s", d.JSON)
	}
	expect(t, m, map[string]any{"event.original": rec[:100], "labels.truncated": true})
	_, m = normOne(t, o, "not json", 1)
	expect(t, m, map[string]any{"event.original": "not json"})
}

// TestOverDeepBody: a valid event whose body nests deeper than the
// parsers' limit (300) is normalized from all its fields; only the
// over-deep part of the body is cut, marked by CutValue and
// labels.truncated. Before, the whole event was a pipeline_error.
func TestOverDeepBody(t *testing.T) {
	for _, depth := range []int{299, 300, 301, 5000} {
		// requestObject and spec are two levels: depth levels in all.
		rec := secretWith(`{"keep":1,"deep":` + nested(depth-2, `"CANARY-DEEP-1b8f"`) + `,"after":2}`)
		for _, o := range allFormats {
			n := New(o)
			docs := n.Normalize([]byte(rec), 5)
			if len(docs) != 1 || docs[0].Error || docs[0].Salvaged {
				t.Fatalf("depth %d %v: %d documents, first %.300s", depth, o.Format, len(docs), docs[0].JSON)
			}
			d := docs[0].JSON
			cut := depth > maxScanDepth
			if got := canaryIn(d) != ""; got == cut {
				t.Errorf("depth %d %v: canary shipped %v", depth, o.Format, got)
			}
			if got := bytes.Contains(d, []byte(CutValue)); got != cut {
				t.Errorf("depth %d %v: marker %v", depth, o.Format, got)
			}
			m := decode(t, d)
			body := "kubernetes.audit.requestObject."
			if o.Format == Raw {
				body = "requestObject."
			} else {
				expect(t, m, map[string]any{"event.id": "a-1", "user.name": "eve", "orchestrator.resource.name": "s"})
				if got := get(m, "labels.truncated") == true; got != cut {
					t.Errorf("depth %d: labels.truncated %v", depth, got)
				}
			}
			expect(t, m, map[string]any{body + "spec.keep": 1, body + "spec.after": 2, body + "data.password": RedactedValue})
			b := []byte(rec)
			if allocs := testing.AllocsPerRun(5, func() { n.Normalize(b, 5) }); allocs != 0 {
				t.Errorf("depth %d %v: %.1f allocations per over-deep event", depth, o.Format, allocs)
			}
		}
	}
}

// TestEventListItemAlone: one bad item of an EventList (nested too deeply,
// truncated, not an event) takes the safe road alone; the other items are
// normalized and counted. Before, the whole list was one pipeline_error.
func TestEventListItemAlone(t *testing.T) {
	item := func(id string) string { return strings.Replace(secretWith(`{}`), `"a-1"`, `"`+id+`"`, 1) }
	deep := strings.Replace(item("bad"), `"verb":"patch",`, `"verb":"patch","x":`+nested(400, "1")+`,`, 1)
	list := func(items ...string) string {
		return `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[` + strings.Join(items, ",") + `]}`
	}
	cases := []struct {
		name, rec string
		ids       []string
		salvaged  int
	}{
		{"webhook EventList", list(item("i1"), deep, item("i3")), []string{"i1", "bad", "i3"}, 1},
		{"array", "[" + item("i1") + "," + deep + "," + item("i3") + "]", []string{"i1", "bad", "i3"}, 1},
		{"item kind first", `{"items":[` + item("i1") + `,` + deep + `],"kind":"EventList"}`, []string{"i1", "bad"}, 1},
		{"nested EventList", list(list(item("i1"), deep), item("i3")), []string{"i1", "bad", "i3"}, 1},
		{"truncated list", list(item("i1"), item("i2"), item("i3"))[:len(list(item("i1"), item("i2"), item("i3")))-60],
			[]string{"i1", "i2", "i3"}, 1},
		{"item not an event", list(item("i1"), `{"x":`+nested(400, "1")+`}`, item("i3")), []string{"i1", "", "i3"}, 0},
	}
	for _, c := range cases {
		for _, o := range allFormats {
			n := New(o)
			docs := n.Normalize([]byte(c.rec), 5)
			if len(docs) != len(c.ids) {
				t.Fatalf("%s %v: %d documents, want %d", c.name, o.Format, len(docs), len(c.ids))
			}
			salvaged := 0
			for i, d := range docs {
				if string(d.AuditID) != c.ids[i] {
					t.Errorf("%s %v: document %d auditID %q, want %q", c.name, o.Format, i, d.AuditID, c.ids[i])
				}
				if d.Salvaged {
					salvaged++
				}
				if d.Error != (c.ids[i] == "") {
					t.Errorf("%s %v: document %d error %v", c.name, o.Format, i, d.Error)
				}
				if leak := canaryIn(d.JSON); leak != "" {
					t.Errorf("%s %v: %s shipped", c.name, o.Format, leak)
				}
			}
			if salvaged != c.salvaged {
				t.Errorf("%s %v: %d salvaged, want %d", c.name, o.Format, salvaged, c.salvaged)
			}
		}
	}
}

// TestSalvagePolicy: the policy decides a salvaged event as any other: it
// drops it (counted) or lowers its level.
func TestSalvagePolicy(t *testing.T) {
	p, err := policy.Parse("p", []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n"+
		"- level: None\n  users: [\"eve\"]\n  verbs: [\"patch\"]\n- level: Metadata\n"))
	if err != nil {
		t.Fatal(err)
	}
	trunc := func(s string) string { return s[:strings.Index(s, `"requestObject"`)+20] }
	n := New(Options{Policy: p, Redact: true})
	if docs := n.Normalize([]byte(trunc(secretWith(`{}`))), 1); len(docs) != 0 || n.Dropped() != 1 {
		t.Errorf("eve's patch: %d documents, %d dropped", len(docs), n.Dropped())
	}
	other := strings.Replace(secretWith(`{}`), `"eve"`, `"bob"`, 1)
	docs := n.Normalize([]byte(trunc(other)), 1)
	if len(docs) != 1 || n.Dropped() != 0 || !docs[0].Salvaged {
		t.Fatalf("bob's patch: %d documents, %d dropped", len(docs), n.Dropped())
	}
	expect(t, decode(t, docs[0].JSON), map[string]any{"kubernetes.audit.level": "Metadata", "user.name": "bob"})
}

// TestSalvageAgrees: on valid events the salvage reads what the parsers
// read: every fixture event, and events given a second auditID, verb or
// user, escaped keys and a second kind, salvaged as if refused, yield the
// fields the general road extracts.
func TestSalvageAgrees(t *testing.T) {
	var recs [][]byte
	for _, f := range loadFixtures(t) {
		for _, r := range f.records {
			if len(r) > 0 && trimSpace(r)[0] == '{' && !bytes.Contains(r, []byte(`"items"`)) && !bytes.Contains(r, []byte(`"records"`)) &&
				!bytes.Contains(r, []byte(`"properties"`)) {
				recs = append(recs, r)
			}
		}
	}
	base := secretWith(`{}`)
	for _, extra := range []string{
		`"verb":"get"`, `"auditID":"second"`, `"audit\u0049D":"escaped"`, `"verb":5`, `"user":{"username":"u2"}`,
		`"user":7`, `"objectRef":{"resource":"pods","resource":"x","r\u0065source":"y"}`,
		`"user":{"user\u006eame":"first","username":"second"}`, `"sourceIPs":"x"`, `"sourceIPs":["1.1.1.1",5,"2.2.2.2"]`,
		`"responseStatus":{"code":"500","code":404}`, `"kind":"Event"`, `"stage":null`,
		`"annotations":{"authorization.k8s.io/decision":"forbid","a":{"b":1}}`, `"annotations":[]`,
	} {
		recs = append(recs, []byte(base[:len(base)-1]+","+extra+"}"))
	}
	type view struct {
		ID, Stage, Verb, URI, Level, Kind, UA, User, UID, Res, NS, Name, Group, Sub, Imp, Recv, StageTS string
		Groups, IPs                                                                                     []string
		Code                                                                                            int64
		HasRef                                                                                          bool
		Decision                                                                                        string
	}
	strs := func(l [][]byte) []string {
		var out []string
		for _, x := range l {
			out = append(out, string(x))
		}
		return out
	}
	see := func(e *event) view {
		return view{string(e.auditID), string(e.stage), string(e.verb), string(e.requestURI), string(e.level), string(e.kind),
			string(e.userAgent), string(e.userName), string(e.userUID), string(e.resource), string(e.namespace), string(e.name),
			string(e.apiGroup), string(e.subresource), string(e.impName), string(e.requestReceived), string(e.stageTS),
			strs(e.userGroups), strs(e.ipList), e.code, e.hasObjectRef, string(e.decision)}
	}
	gen, salv := generalRoad{New(Options{})}, New(Options{})
	compared := 0
	for _, r := range recs {
		docs := gen.Normalize(r, 1)
		if len(docs) != 1 || docs[0].Error {
			continue
		}
		want := see(&gen.ev)
		salv.reset(1)
		salv.salvageValue(trimSpace(r), 0, false)
		if len(salv.spans) != 1 || !salv.spans[0].salvaged {
			t.Errorf("not salvaged: %.300s", r)
			continue
		}
		if got := see(&salv.ev); !jsonEqual(got, want) {
			t.Errorf("salvage %+v\nparser  %+v\nrecord %.400s", got, want, r)
		}
		compared++
	}
	if compared < 100 {
		t.Errorf("only %d events compared", compared)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// plant returns a real event with the canaries planted: made a Secret's
// patch, its URI given a token, its request body a Secret.
func plant(t testing.TB, rec []byte) ([]byte, bool) {
	d := json.NewDecoder(bytes.NewReader(rec))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil || m["auditID"] == nil {
		return nil, false
	}
	uri, _ := m["requestURI"].(string)
	if strings.Contains(uri, "?") {
		uri += "&token=CANARY-URI-4d2b"
	} else {
		uri += "?token=CANARY-URI-4d2b"
	}
	m["requestURI"] = uri
	ref, _ := m["objectRef"].(map[string]any)
	if ref == nil {
		ref = map[string]any{}
	}
	ref["resource"] = "secrets"
	delete(ref, "apiGroup")
	m["objectRef"] = ref
	m["requestObject"] = map[string]any{"kind": "Secret", "apiVersion": "v1", "metadata": map[string]any{"name": "s"},
		"data": map[string]any{"password": "CANARY-DATA-7f3a"}, "stringData": map[string]any{"token": "Bearer CANARY-BEARER-9c1e"},
		"spec": "SPEC"}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b, true
}

// mutate applies mutation op to the planted event ev (other: a second
// one) and returns the record and the number of events it holds (-1 when
// that cannot be known).
func mutate(ev, other []byte, op int, r *rand.Rand) ([]byte, int) {
	s := string(ev)
	deepTop := func(x string) string {
		return strings.Replace(x, `"auditID"`, `"zz":`+nested(301+r.Intn(700), "0")+`,"auditID"`, 1)
	}
	item := func(x string) string { return strings.Replace(x, `"SPEC"`, `{}`, 1) }
	s = strings.Replace(s, `"SPEC"`, `{"x":1}`, 1)
	switch op {
	case 0: // as is
		return []byte(s), 1
	case 1: // a body nested past the limit, a canary at its bottom
		return []byte(strings.Replace(s, `{"x":1}`, nested(301+r.Intn(3000), `"CANARY-DEEP-1b8f"`), 1)), 1
	case 2: // nesting past the limit outside the bodies
		return []byte(deepTop(s)), 1
	case 3: // truncated anywhere
		return []byte(s[:r.Intn(len(s))]), 1
	case 4: // two events on one line
		return []byte(s + []string{"", " ", "\t"}[r.Intn(3)] + item(string(other))), 2
	case 5: // a byte-order mark
		return []byte("\xef\xbb\xbf" + s), 1
	case 6: // a stray byte between tokens, where the parsers refuse it
		// (a byte inside a string damages a key or a value and may leave
		// the line readable: TestOddMembers covers the top-level keys; a
		// damaged key inside a body escapes the redaction paths on any
		// road, the limit of redaction by path)
		out := outsideStrings(s)
		for try := 0; try < 50; try++ {
			i := out[r.Intn(len(out))]
			x := s[:i] + string([]byte{"\"{}[],:\\\x00\xff#"[r.Intn(11)]}) + s[i:]
			if !json.Valid([]byte(x)) {
				return []byte(x), -1
			}
		}
		return []byte("\xef\xbb\xbf" + s), 1
	case 7: // escaped keys
		for _, k := range []string{"auditID", "verb", "requestURI", "data", "stringData", "requestObject", "resource"} {
			if r.Intn(2) == 0 {
				s = strings.Replace(s, `"`+k+`"`, `"`+k[:1]+`\u00`+hex.EncodeToString([]byte{k[1]})+k[2:]+`"`, -1)
			}
		}
		return []byte(s), 1
	case 8: // an EventList, one item nested too deeply
		return []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[` + s + `,` + deepTop(item(string(other))) + `,` + s + `]}`), 3
	case 9: // an EventList cut in its last item
		l := `{"kind":"EventList","items":[` + s + `,` + item(string(other)) + `,` + s + `]}`
		at := len(l) - len(s) - 2 + 1 + r.Intn(len(s)-1)
		return []byte(l[:at]), 3
	case 10: // a second verb and auditID
		return []byte(s[:len(s)-1] + `,"verb":"get","auditID":"dup"}`), 1
	case 11: // NUL and invalid UTF-8 in strings, a huge string
		s = strings.Replace(s, `"name":"s"`, `"name":"s\u0000`+"\x00\xff\xfe"+`"`, 1)
		return []byte(strings.Replace(s, `"x":1`, `"x":"`+strings.Repeat("A", r.Intn(200000))+`"`, 1)), 1
	case 12: // an EventList inside an EventList, with a bad item
		return []byte(`{"kind":"EventList","items":[{"kind":"EventList","items":[` + s + `,` + deepTop(s) + `]},` + item(string(other)) + `]}`), 3
	}
	return nil, 0
}

const nMutations = 13

// outsideStrings returns the offsets of s that are not inside a string.
func outsideStrings(s string) []int {
	var out []int
	in := false
	for i := 0; i < len(s); i++ {
		if !in {
			out = append(out, i)
		}
		switch {
		case s[i] == '\\' && in:
			i++
		case s[i] == '"':
			in = !in
		}
	}
	return out
}

// checkMutation normalizes one mutated record in every format: no canary
// in any document, every document valid JSON, and documents plus dropped
// events equal to the events planted when that is known.
func checkMutation(t testing.TB, ns []*Normalizer, rec []byte, want int, what string) {
	for k, n := range ns {
		docs := n.Normalize(rec, 1)
		for _, d := range docs {
			if leak := canaryIn(d.JSON); leak != "" {
				t.Fatalf("%s (normalizer %d): %s shipped in %.2000s\nrecord %.2000q", what, k, leak, d.JSON, rec)
			}
			if !json.Valid(d.JSON) {
				t.Fatalf("%s: invalid document %.500s", what, d.JSON)
			}
		}
		if got := len(docs) + n.Dropped(); want >= 0 && got != want {
			t.Fatalf("%s (normalizer %d): %d documents + %d dropped, want %d events\nrecord %.3000q", what, k, len(docs), n.Dropped(), want, rec)
		}
		if want < 0 && len(docs)+n.Dropped() == 0 {
			t.Fatalf("%s: no document", what)
		}
	}
}

func mutationNormalizers(t testing.TB) []*Normalizer {
	p, err := policy.Parse("p", []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n"+
		"- level: None\n  verbs: [\"get\", \"watch\"]\n- level: RequestResponse\n"))
	if err != nil {
		t.Fatal(err)
	}
	return []*Normalizer{
		New(Options{Redact: true, ClusterName: "c"}),
		New(Options{Redact: true, EventOriginal: true}),
		New(Options{Redact: true, Format: Raw}),
		New(Options{Redact: true, Policy: p, EventOriginal: true}),
		New(Options{Redact: true, Policy: p, Format: Raw}),
	}
}

func plantedEvents(t testing.TB) [][]byte {
	var evs [][]byte
	for _, r := range realLines(t) {
		if ev, ok := plant(t, r); ok {
			evs = append(evs, ev)
		}
	}
	if len(evs) < 10 {
		t.Fatalf("%d real events", len(evs))
	}
	return evs
}

// TestSalvageProperty: random mutations of real events with canaries
// planted (nesting past the limits, truncation anywhere, two events on a
// line, a byte-order mark, stray bytes, escaped keys, EventLists with bad
// items, nested EventLists, duplicate members, NUL and invalid UTF-8, huge
// strings): with redaction on, no canary in any document in either format,
// and documents plus dropped equal the events planted.
func TestSalvageProperty(t *testing.T) {
	evs := plantedEvents(t)
	ns := mutationNormalizers(t)
	r := rand.New(rand.NewSource(12))
	runs := 1500
	if testing.Short() {
		runs = 200
	}
	for i := 0; i < runs; i++ {
		op := i % nMutations
		rec, want := mutate(evs[r.Intn(len(evs))], evs[r.Intn(len(evs))], op, r)
		checkMutation(t, ns, rec, want, "mutation "+strconv.Itoa(op))
	}
}

// FuzzSalvage drives the mutations from fuzz input: which event, which
// mutation, and the seed of its choices.
func FuzzSalvage(f *testing.F) {
	for op := 0; op < nMutations; op++ {
		f.Add(uint16(op), uint8(op), int64(op))
	}
	evs := plantedEvents(f)
	ns := mutationNormalizers(f)
	f.Fuzz(func(t *testing.T, which uint16, op uint8, seed int64) {
		r := rand.New(rand.NewSource(seed))
		ev, other := evs[int(which)%len(evs)], evs[(int(which)+1)%len(evs)]
		rec, want := mutate(ev, other, int(op)%nMutations, r)
		checkMutation(t, ns, rec, want, "mutation "+strconv.Itoa(int(op)%nMutations))
	})
}

// TestOddMembers: with redaction or a policy, a top-level member the Event
// does not define (a damaged key: "request\u0000Object" holding a Secret,
// ",requestURI" a token) is left out of what is rendered from the event
// (format raw, event.original), on both roads. Before, it was copied as
// it came.
func TestOddMembers(t *testing.T) {
	ev := secretWith(`{}`)
	for _, damaged := range []string{
		strings.Replace(ev, `"requestObject"`, "\"request\x00Object\"", 1),
		strings.Replace(ev, `"requestObject"`, `"request{Object"`, 1),
		strings.Replace(ev, `"requestURI"`, `",requestURI"`, 1),
	} {
		for _, o := range allFormats[1:] {
			for _, direct := range []bool{true, false} {
				n := road(New(o), direct)
				docs := n.Normalize([]byte(damaged), 1)
				if len(docs) != 1 || docs[0].Error {
					t.Fatalf("%d documents", len(docs))
				}
				if leak := canaryIn(docs[0].JSON); leak != "" {
					t.Errorf("%v direct %v: %s shipped: %s", o.Format, direct, leak, docs[0].JSON)
				}
				m := decode(t, docs[0].JSON)
				if o.Format == Raw && (m["auditID"] != "a-1" || m["verb"] != "patch") {
					t.Errorf("raw: %s", docs[0].JSON)
				}
			}
		}
	}
	// Without the hook, format raw re-emits the event as it came.
	d, _ := normOne(t, Options{Format: Raw}, `{"auditID":"x","hostname":"h","extra":{"a":1}}`, 1)
	if string(d.JSON) != `{"auditID":"x","hostname":"h","extra":{"a":1}}` {
		t.Errorf("raw without hook: %s", d.JSON)
	}
}
