// Package splunk is the Splunk HTTP Event Collector intake (POST
// <url>/services/collector/event, Authorization: Splunk <token>); the framing and the
// reading of HEC's per-event answers live in deliver's HTTP core (intake_splunk.go).
package splunk

import (
	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/intake"
)

// Intake is the splunk intake's declaration. The synonyms are Fluent Bit's out_splunk
// names.
var Intake = &intake.Intake{
	Name: "splunk",
	Keys: []intake.Key{
		{Name: "splunk_index", Synonyms: []string{"event_index"}},
		{Name: "splunk_sourcetype", Default: deliver.DefaultSplunkSourcetype, Synonyms: []string{"event_sourcetype"}},
		{Name: "splunk_source", Synonyms: []string{"event_source"}},
		{Name: "splunk_host", Synonyms: []string{"event_host"}},
	},
	Limits: intake.LimitsOf("splunk"),
	URL:    intake.HTTPSchemes,
	Configure: func(get intake.Getter, o *deliver.Options) (intake.Opener, error) {
		o.SplunkIndex, o.SplunkSourcetype, o.SplunkSource, o.SplunkHost = get("splunk_index"), get("splunk_sourcetype"), get("splunk_source"), get("splunk_host")
		if o.APIKey == "" && o.HTTPUser == "" {
			return nil, intake.Invalid("api_key", "the HEC token (required for intake splunk; sent as Authorization: Splunk <token>)")
		}
		return intake.HTTP, nil
	},
}
