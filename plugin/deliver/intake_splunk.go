package deliver

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/k8saudit/k8saudit/internal/jsonw"
)

// Splunk HTTP Event Collector: POST <url>/services/collector/event, Authorization:
// Splunk <token>, one envelope object per document, newline separated:
//
//	{"time":<seconds>.<microseconds>,"host":"…","source":"…","sourcetype":"kube:apiserver:audit","index":"…","event":<document>}
//
// (time only when the document has one; host, source and index only when configured.)
// HEC has no ids, but its 400 answers name the first event it refused: events before
// invalid-event-number N were indexed, N is refused (dead-lettered with the HEC code and
// text), and the events after N were not looked at: they are sent again at once.

var splunkLimits = Limits{
	DefaultBytes:  1_000_000,
	DefaultEvents: DefaultBatchEvents,
	MaxBytes:      838_860_800,
	Source:        "Splunk's default max_content_length of 800 MiB ([http_input] in limits.conf; Splunk Cloud takes about 1 MB)",
}

// DefaultSplunkSourcetype is the sourcetype of Splunk's Kubernetes audit add-ons.
const DefaultSplunkSourcetype = "kube:apiserver:audit"

type splunkFraming struct {
	meta []byte // "host":"…",…,"event": after the time
}

func newSplunk(o *Options) (*intakeDef, error) {
	var fr splunkFraming
	if o.SplunkHost != "" {
		fr.meta = appendJSONField(fr.meta, "host", o.SplunkHost)
	}
	if o.SplunkSource != "" {
		fr.meta = appendJSONField(fr.meta, "source", o.SplunkSource)
	}
	st := o.SplunkSourcetype
	if st == "" {
		st = DefaultSplunkSourcetype
	}
	fr.meta = appendJSONField(fr.meta, "sourcetype", st)
	if o.SplunkIndex != "" {
		fr.meta = appendJSONField(fr.meta, "index", o.SplunkIndex)
	}
	fr.meta = append(fr.meta, `"event":`...)
	return &intakeDef{
		name: "splunk", fr: fr,
		path: "/services/collector/event", alsoPaths: []string{"/services/collector", "/services/collector/event/1.0"},
		credential: "Authorization", scheme: "Splunk ",
		items:      splunkItems,
		answerKeep: answerKeep,
	}, nil
}

func (splunkFraming) ContentType() string           { return "application/json" }
func (splunkFraming) AppendOpen(dst []byte) []byte  { return dst }
func (splunkFraming) AppendClose(dst []byte) []byte { return dst }
func (splunkFraming) EnvelopeLen() int              { return 0 }
func (splunkFraming) Limits() Limits                { return splunkLimits }

func (f splunkFraming) DocLen(d *Docs, k int, _ bool) int {
	n := 1 + len(f.meta) + 2 // { meta } \n
	if t := d.Time(k); t > 0 {
		n += len(`"time":`) + jsonw.IntLen(t/1e9) + 7 + 1 // seconds . 6 digits ,
	}
	if doc := d.Doc(k); isObject(doc) {
		return n + len(doc)
	} else {
		return n + jsonStringLen(doc)
	}
}

func (f splunkFraming) AppendDoc(dst []byte, d *Docs, k int, _ bool) []byte {
	dst = append(dst, '{')
	if t := d.Time(k); t > 0 {
		dst = append(dst, `"time":`...)
		dst = strconv.AppendInt(dst, t/1e9, 10)
		us := t % 1e9 / 1e3
		dst = append(dst, '.',
			byte('0'+us/100000), byte('0'+us/10000%10), byte('0'+us/1000%10),
			byte('0'+us/100%10), byte('0'+us/10%10), byte('0'+us%10), ',')
	}
	dst = append(dst, f.meta...)
	if doc := d.Doc(k); isObject(doc) {
		dst = append(dst, doc...)
	} else {
		dst = appendJSONBytes(dst, doc)
	}
	return append(dst, '}', '\n')
}

// splunkConfigCodes are HEC codes that name a configuration error rather than an event:
// 7 incorrect index, 10/11 data channel missing or invalid, 14 ACK disabled, 16
// query-string authorization disabled. Retrying each event would not help, dropping them
// would lose audit data: the chunk is kept and an error line says why.
var splunkConfigCodes = map[int]bool{7: true, 10: true, 11: true, 14: true, 16: true}

// splunkItems reads a 400 answer: {"text":"…","code":C,"invalid-event-number":N}.
func splunkItems(a Answer, v verdict, fates []itemFate) verdict {
	if a.Err != nil || a.Status != 400 {
		return v
	}
	var ans struct {
		Text    string `json:"text"`
		Code    *int   `json:"code"`
		Invalid *int   `json:"invalid-event-number"`
	}
	if json.Unmarshal(a.Body, &ans) != nil || ans.Code == nil {
		return v
	}
	if splunkConfigCodes[*ans.Code] {
		return vConfig
	}
	if ans.Invalid == nil || *ans.Invalid < 0 || *ans.Invalid >= len(fates) {
		return v
	}
	n := *ans.Invalid
	reason := clip(fmt.Sprintf("HEC code %d: %s (invalid-event-number %d)", *ans.Code, ans.Text, n), 300)
	for i := range fates {
		switch {
		case i < n:
			fates[i] = itemFate{fate: fDone, status: 400}
		case i == n:
			fates[i] = itemFate{fate: fReject, status: 400, reason: reason}
		default:
			fates[i] = itemFate{fate: fResend, status: 400}
		}
	}
	return vItems
}
