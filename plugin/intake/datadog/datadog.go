// Package datadog is the Datadog Logs API v2 intake (POST <url>/api/v2/logs, DD-API-KEY,
// no basic auth); the framing lives in deliver's HTTP core (intake_datadog.go).
package datadog

import (
	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/intake"
)

// Intake is the datadog intake's declaration.
var Intake = &intake.Intake{
	Name: "datadog",
	Keys: []intake.Key{
		{Name: "dd_source", Default: deliver.DefaultDDSource},
		{Name: "dd_service"},
		{Name: "dd_tags"},
		{Name: "dd_hostname"},
	},
	Limits: intake.LimitsOf("datadog"),
	URL:    intake.HTTPSchemes,
	Configure: func(get intake.Getter, o *deliver.Options) (intake.Opener, error) {
		o.DDSource, o.DDService, o.DDTags, o.DDHostname = get("dd_source"), get("dd_service"), get("dd_tags"), get("dd_hostname")
		if o.APIKey == "" {
			return nil, intake.Invalid("api_key", "the Datadog API key (required for intake datadog; sent as DD-API-KEY)")
		}
		if o.HTTPUser != "" {
			return nil, intake.Invalid("http_user", "nothing: Datadog takes api_key only")
		}
		return intake.HTTP, nil
	},
}
