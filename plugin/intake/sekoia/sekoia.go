// Package sekoia is the Sekoia.io HTTP intake (POST <url>/jsons, X-SEKOIAIO-INTAKE-KEY);
// the framing lives in deliver's HTTP core (intake_sekoia.go). Pair it with format raw.
package sekoia

import (
	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/intake"
)

// Intake is the sekoia intake's declaration.
var Intake = &intake.Intake{
	Name:   "sekoia",
	Limits: intake.LimitsOf("sekoia"),
	URL:    intake.HTTPSchemes,
	Configure: func(_ intake.Getter, o *deliver.Options) (intake.Opener, error) {
		if o.APIKey == "" && o.HTTPUser == "" {
			return nil, intake.Invalid("api_key", "the Sekoia intake key (required for intake sekoia; sent as X-SEKOIAIO-INTAKE-KEY)")
		}
		return intake.HTTP, nil
	},
}
