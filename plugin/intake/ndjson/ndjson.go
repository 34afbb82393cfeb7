// Package ndjson is the generic intake: newline-delimited JSON POSTed to url, with
// Authorization: Bearer <api_key> (or basic auth). The framing lives in deliver's HTTP
// core (framing.go); this package declares the intake to the registry.
package ndjson

import (
	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/intake"
)

// Intake is the ndjson intake's declaration.
var Intake = &intake.Intake{
	Name:   "ndjson",
	Limits: intake.LimitsOf("ndjson"),
	URL:    intake.HTTPSchemes,
	Configure: func(intake.Getter, *deliver.Options) (intake.Opener, error) {
		return intake.HTTP, nil
	},
}
