package auditwebhook

import "github.com/k8saudit/k8saudit/plugin/deliver"

// listOpen and listClose make a request body an audit.k8s.io/v1 EventList, as the API server's
// webhook backend writes it (metadata empty).
const (
	listOpen  = `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[`
	listClose = `]}`
)

// framing writes the documents (compact audit events) as the list's items, each as the
// audit.k8s.io/v1 Event type has it (members.go).
type framing struct{}

func (framing) ContentType() string           { return "application/json" }
func (framing) AppendOpen(dst []byte) []byte  { return append(dst, listOpen...) }
func (framing) AppendClose(dst []byte) []byte { return append(dst, listClose...) }
func (framing) EnvelopeLen() int              { return len(listOpen) + len(listClose) }
func (framing) Limits() deliver.Limits        { return limits }

func (framing) DocLen(d *deliver.Docs, k int, first bool) int {
	if first {
		return itemLen(d.Doc(k))
	}
	return 1 + itemLen(d.Doc(k))
}

func (framing) AppendDoc(dst []byte, d *deliver.Docs, k int, first bool) []byte {
	if !first {
		dst = append(dst, ',')
	}
	return appendItem(dst, d.Doc(k))
}
