package deliver

// Sekoia.io HTTP intake: POST <url>/jsons, a JSON array whose elements are the documents
// as JSON strings (the documented form; Sekoia's SDK sends strings too), with
// X-SEKOIAIO-INTAKE-KEY. Sekoia's "Kubernetes Audit Log" format parses the raw audit
// event itself: pair this intake with `format raw`.
//
// Limits come from Sekoia's SDK (the docs give none): 10 MiB per request, which the SDK
// fills to 90 % (the default here), and 250,000 bytes per event, above which the SDK
// discards the event. A larger document (as sent, quoted) is never sent: it goes to the
// dead-letter file with the reason, whole, rather than truncated into invalid JSON.

var sekoiaLimits = Limits{
	DefaultBytes:  9_437_184,
	DefaultEvents: DefaultBatchEvents,
	MaxBytes:      10_485_760,
	MaxDocBytes:   250_000,
	Source:        "Sekoia's intake limits (sekoia-automation-sdk): 10 MiB per request, 250,000 bytes per event",
}

type sekoiaFraming struct{}

func newSekoia(o *Options) (*intakeDef, error) {
	return &intakeDef{
		name: "sekoia", fr: sekoiaFraming{},
		path:       "/jsons",
		credential: "X-SEKOIAIO-INTAKE-KEY",
		answerKeep: answerKeep,
	}, nil
}

func (sekoiaFraming) ContentType() string           { return "application/json" }
func (sekoiaFraming) AppendOpen(dst []byte) []byte  { return append(dst, '[') }
func (sekoiaFraming) AppendClose(dst []byte) []byte { return append(dst, ']') }
func (sekoiaFraming) EnvelopeLen() int              { return 2 }
func (sekoiaFraming) Limits() Limits                { return sekoiaLimits }

func (sekoiaFraming) DocLen(d *Docs, k int, first bool) int {
	n := jsonStringLen(d.Doc(k))
	if !first {
		n++
	}
	return n
}

func (sekoiaFraming) AppendDoc(dst []byte, d *Docs, k int, first bool) []byte {
	if !first {
		dst = append(dst, ',')
	}
	return appendJSONBytes(dst, d.Doc(k))
}
