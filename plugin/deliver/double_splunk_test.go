package deliver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
)

const splunkTestToken = "9b2a7c1e-3f4d-4e5a-8b6c-7d8e9f0a1b2c"

// splunkDouble is a strict HEC /services/collector/event: Authorization: Splunk <token>,
// concatenated envelope objects with time, host, source, sourcetype, index and an
// object event. Events it is told are invalid get the HEC answer: events before it are
// indexed, 400 {"text":"Invalid data format","code":6,"invalid-event-number":N}.
type splunkDouble struct {
	*double
	invalid func(id int) bool
}

func newSplunkDouble(t *testing.T) *splunkDouble {
	s := &splunkDouble{}
	s.double = newDouble(t, &double{
		name: "splunk", path: "/services/collector/event", maxBody: 838_860_800,
		check: func(r *http.Request) (int, string) {
			switch r.Header.Get("Authorization") {
			case "":
				return 401, `{"text":"Token is required","code":2}`
			case "Splunk " + splunkTestToken:
				return 0, ""
			}
			return 403, `{"text":"Invalid token","code":4}`
		},
		accept: func(d *double, body []byte, w http.ResponseWriter) { s.collect(body, w) },
	})
	return s
}

func (s *splunkDouble) collect(body []byte, w http.ResponseWriter) {
	d := s.double
	dec := json.NewDecoder(bytes.NewReader(body))
	var ids []int
	for n := 0; ; n++ {
		var ev struct {
			Time       *float64        `json:"time"`
			Host       string          `json:"host"`
			Source     string          `json:"source"`
			Sourcetype string          `json:"sourcetype"`
			Index      string          `json:"index"`
			Event      json.RawMessage `json:"event"`
		}
		err := dec.Decode(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			d.problem("event %d is not a JSON object: %v", n, err)
			d.take(ids...)
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"text":"Invalid data format","code":6,"invalid-event-number":%d}`, n)
			return
		}
		id, ok := docID(d.t, ev.Event)
		if !ok || ev.Time == nil || ev.Sourcetype != "kube:apiserver:audit" || ev.Host != "cp-1" || ev.Source != "apiserver" || ev.Index != "k8s_audit" {
			d.problem("event %d: envelope %+v", n, ev)
		}
		if ev.Time != nil && ok {
			if want := float64(1773478800e9+int64(id)*1e6) / 1e9; *ev.Time < want-1e-5 || *ev.Time > want+1e-5 {
				d.problem("time %f for document %d, want %f", *ev.Time, id, want)
			}
		}
		if s.invalid != nil && s.invalid(id) {
			d.take(ids...) // the events before it are indexed
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"text":"Invalid data format","code":6,"invalid-event-number":%d}`, n)
			return
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		w.WriteHeader(400)
		w.Write([]byte(`{"text":"No data","code":5}`))
		return
	}
	d.take(ids...)
	w.Write([]byte(`{"text":"Success","code":0}`))
}
