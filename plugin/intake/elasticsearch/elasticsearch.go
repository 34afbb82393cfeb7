// Package elasticsearch is the Elasticsearch, OpenSearch and Sematext intake (POST
// <url>/_bulk with create and deterministic ids); the framing and the reading of bulk
// answers live in deliver's HTTP core (intake_elasticsearch.go).
package elasticsearch

import (
	"strings"

	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/intake"
)

// Intake is the elasticsearch intake's declaration. logstash_prefix is out_es's name.
var Intake = &intake.Intake{
	Name: "elasticsearch",
	Keys: []intake.Key{
		// A Sematext Logs App token is used as the index name: it is a credential.
		{Name: "index", SecretIf: LooksLikeToken, Synonyms: []string{"logstash_prefix"}},
		{Name: "pipeline"},
	},
	Limits:    intake.LimitsOf("elasticsearch"),
	URL:       intake.HTTPSchemes,
	Configure: configure,
}

func configure(get intake.Getter, o *deliver.Options) (intake.Opener, error) {
	o.Index, o.Pipeline = get("index"), get("pipeline")
	if o.Index == "" {
		return nil, intake.Invalid("index", "the index, data stream or alias to write to (required for intake elasticsearch; for Sematext, the Logs App token)")
	}
	if strings.ContainsAny(o.Index, " \"\\/*?<>|,#") || o.Index != strings.ToLower(o.Index) && !LooksLikeToken(o.Index) {
		return nil, intake.Invalid("index", "a lowercase index or data stream name without spaces or \\/*?\"<>|,#")
	}
	return intake.HTTP, nil
}

// LooksLikeToken: Sematext's Logs App tokens (UUIDs) are used as the index name; accept
// them in any case, and mask them in the startup line.
func LooksLikeToken(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if r != '-' {
				return false
			}
		} else if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}
