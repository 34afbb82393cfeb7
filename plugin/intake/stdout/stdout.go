// Package stdout is the intake that prints one JSON document per line on Fluent Bit's
// standard output (deliver's stdout writer: serialised writes, no retries in the flush,
// never compressed). It takes no url.
package stdout

import (
	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/intake"
)

// Intake is the stdout intake's declaration.
var Intake = &intake.Intake{
	Name:   "stdout",
	Limits: intake.LimitsOf("stdout"),
	Configure: func(intake.Getter, *deliver.Options) (intake.Opener, error) {
		return intake.HTTP, nil
	},
}
