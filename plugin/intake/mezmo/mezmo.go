// Package mezmo is the Mezmo (formerly LogDNA) intake: its ingestion API,
// POST <url>/logs/ingest?hostname=…[&tags=…]&now=<ms>, the ingestion key in the apikey
// header, gzip, and a body {"lines":[{"timestamp":<ms>,"line":"<document>","app":…,
// "level":…,"env":…,"meta":{…}}]}: one line per document, the document (ECS, or the raw
// event with format raw) as the line's text, which Mezmo parses as JSON and indexes.
package mezmo

import (
	"net/url"
	"os"
	"strings"

	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/intake"
)

// Name is the intake key's value.
const Name = "mezmo"

// limits: Mezmo's ingestion API takes at most 10 MB per request (the figure Fluent Bit's
// out_logdna users hit); the default stays at half of it.
var limits = deliver.Limits{
	DefaultBytes: 5_000_000, DefaultEvents: 5_000, MaxBytes: 10_000_000,
	Source: "Mezmo's ingestion API (10 MB per request)",
}

// Intake is the mezmo intake's declaration.
var Intake = &intake.Intake{
	Name: Name,
	Keys: []intake.Key{
		{Name: "mezmo_hostname", DefaultDoc: "this machine's host name"},
		{Name: "mezmo_tags"},
		{Name: "mezmo_app", Default: "k8saudit"},
		{Name: "mezmo_env"},
	},
	Limits: limits,
	URL:    intake.HTTPSchemes,
	Configure: func(get intake.Getter, o *deliver.Options) (intake.Opener, error) {
		if o.APIKey == "" {
			return nil, intake.Invalid("api_key", "the Mezmo ingestion key (required for intake mezmo; sent in the apikey header)")
		}
		if o.HTTPUser != "" {
			return nil, intake.Invalid("http_user", "nothing: Mezmo takes the ingestion key as api_key")
		}
		host := get("mezmo_hostname")
		if host == "" {
			host, _ = os.Hostname()
		}
		if host == "" || strings.ContainsAny(host, " \t\r\n") {
			return nil, intake.Invalid("mezmo_hostname", "a host name without spaces (Mezmo requires one; this machine's could not be read)")
		}
		q := url.Values{"hostname": {host}}
		if tags := get("mezmo_tags"); tags != "" {
			q.Set("tags", tags)
		}
		fr := newFraming(get("mezmo_app"), get("mezmo_env"))
		o.Wire = &deliver.Wire{Name: Name, Framing: fr, Path: "/logs/ingest", Query: q.Encode(),
			Credential: "apikey", NowParam: "now"}
		return intake.HTTP, nil
	},
}
