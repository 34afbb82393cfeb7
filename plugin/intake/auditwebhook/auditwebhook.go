// Package auditwebhook is the audit_webhook intake: it forwards the audit events in the
// API server's own webhook format, so that any receiver of the API server's webhook
// backend (Falco's k8saudit plugin, Sematext, a second API-server-facing collector) takes
// them from k8saudit instead: POST url, an audit.k8s.io/v1 EventList per request, gzip
// optional, Authorization: Bearer <api_key> (the kubeconfig's token), TLS with the
// common tls_* keys (the kubeconfig's certificate-authority, client-certificate,
// client-key).
//
// The items are the events as the API server wrote them, after the policy and redaction
// (format raw: the compact event, k8saudit.io/redacted and k8saudit.io/salvaged
// annotations where they apply). Detection is off with this intake: an Event has no
// member for it. A pipeline_error document is not an event: it is set aside to the
// dead-letter file before batching (deliver.Wire.Refuse), never sent.
package auditwebhook

import (
	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/intake"
)

// Name is the intake key's value.
const Name = "audit_webhook"

// The API server's webhook backend sends at most 400 events per request
// (--audit-webhook-batch-max-size); receivers are sized for that.
const defaultEvents = 400

// defaultBytes keeps a request under the 3 MiB a Kubernetes API server takes per request
// body, which webhook receivers built on its libraries share.
const defaultBytes = 3 << 20

var limits = deliver.Limits{
	DefaultBytes: defaultBytes, DefaultEvents: defaultEvents,
	Source: "the API server's webhook backend (--audit-webhook-batch-max-size 400)",
}

// Intake is the audit_webhook intake's declaration.
var Intake = &intake.Intake{
	Name:        Name,
	Limits:      limits,
	URL:         intake.HTTPSchemes,
	AuditEvents: true,
	Configure: func(_ intake.Getter, o *deliver.Options) (intake.Opener, error) {
		o.Wire = &deliver.Wire{Name: Name, Framing: framing{}, Refuse: refuse}
		return intake.HTTP, nil
	},
}

// notAnEvent is the dead-letter reason of a pipeline_error document.
const notAnEvent = "not sent: a pipeline_error document is not an audit event, and the webhook format carries only those"

func refuse(d *deliver.Docs, k int) string {
	if d.IsError(k) {
		return notAnEvent
	}
	return ""
}
