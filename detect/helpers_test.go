package detect

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// fieldsOf fills f from one audit event's JSON text, as the normalizer
// would (encoding/json here: an independent reading).
func fieldsOf(t testing.TB, f *Fields, text string) {
	t.Helper()
	var ev struct {
		Stage, Verb, Level, AuditID, RequestURI, UserAgent string
		User, ImpersonatedUser                             *struct {
			Username string
			Groups   []string
		}
		ObjectRef      struct{ Resource, Subresource, Namespace, Name, APIGroup string }
		ResponseStatus *struct{ Code *int64 }
		SourceIPs      []string
		Annotations    map[string]string
		RequestObject  json.RawMessage
		ResponseObject json.RawMessage
		StageTimestamp string
		Timestamp      string
	}
	if err := json.Unmarshal([]byte(text), &ev); err != nil {
		t.Fatalf("%v: %.200s", err, text)
	}
	f.Reset()
	f.Stage, f.Verb, f.Level, f.AuditID = []byte(ev.Stage), []byte(ev.Verb), []byte(ev.Level), []byte(ev.AuditID)
	f.RequestURI, f.UserAgent = []byte(ev.RequestURI), []byte(ev.UserAgent)
	if ev.User != nil {
		f.User = []byte(ev.User.Username)
		for _, g := range ev.User.Groups {
			f.Groups = append(f.Groups, []byte(g))
		}
	}
	if ev.ImpersonatedUser != nil {
		f.Impersonated = true
		f.ImpUser = []byte(ev.ImpersonatedUser.Username)
		for _, g := range ev.ImpersonatedUser.Groups {
			f.ImpGroups = append(f.ImpGroups, []byte(g))
		}
	}
	o := ev.ObjectRef
	f.Resource, f.Subresource, f.Namespace, f.Name, f.APIGroup = b(o.Resource), b(o.Subresource), b(o.Namespace), b(o.Name), b(o.APIGroup)
	if ev.ResponseStatus != nil && ev.ResponseStatus.Code != nil {
		f.Code = *ev.ResponseStatus.Code
	}
	for _, ip := range ev.SourceIPs {
		f.SourceIPs = append(f.SourceIPs, []byte(ip))
	}
	f.Decision = b(ev.Annotations["authorization.k8s.io/decision"])
	f.Request, f.Response = compact(ev.RequestObject), compact(ev.ResponseObject)
	ts := ev.StageTimestamp
	if ts == "" {
		ts = ev.Timestamp
	}
	if tm, err := time.Parse(time.RFC3339Nano, ts); err == nil {
		f.Time = tm.UnixNano()
	}
}

func b(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

func compact(m json.RawMessage) []byte {
	if len(m) == 0 || string(m) == "null" {
		return nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, m); err != nil {
		return nil
	}
	return buf.Bytes()
}

// shared is reused by every evaluation, as a normalizer reuses its own:
// what one event leaves in it must not leak into the next.
var shared Fields

// ids evaluates text and returns the matched rule ids.
func ids(t testing.TB, e *Engine, text string) []string {
	t.Helper()
	f := &shared
	var m Matches
	fieldsOf(t, f, text)
	e.Evaluate(f, &m)
	var out []string
	for i := 0; i < m.Len(); i++ {
		out = append(out, m.Rule(i).ID)
	}
	return out
}

func has(list []string, id string) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}
