// Package all is the intake registry's list: importing it registers every built-in
// intake, in the order the intake key's error message and the README list them.
//
// Adding an intake: write plugin/intake/<name> (see package intake's doc) and add one line
// here.
package all

import (
	"github.com/k8saudit/k8saudit/plugin/intake"
	"github.com/k8saudit/k8saudit/plugin/intake/auditwebhook"
	"github.com/k8saudit/k8saudit/plugin/intake/datadog"
	"github.com/k8saudit/k8saudit/plugin/intake/elasticsearch"
	"github.com/k8saudit/k8saudit/plugin/intake/kafka"
	"github.com/k8saudit/k8saudit/plugin/intake/mezmo"
	"github.com/k8saudit/k8saudit/plugin/intake/ndjson"
	"github.com/k8saudit/k8saudit/plugin/intake/otlp"
	"github.com/k8saudit/k8saudit/plugin/intake/sekoia"
	"github.com/k8saudit/k8saudit/plugin/intake/splunk"
	"github.com/k8saudit/k8saudit/plugin/intake/stdout"
	"github.com/k8saudit/k8saudit/plugin/intake/syslog"
)

func init() {
	for _, in := range []*intake.Intake{
		ndjson.Intake,
		elasticsearch.Intake,
		datadog.Intake,
		splunk.Intake,
		sekoia.Intake,
		syslog.Intake,
		kafka.Intake,
		auditwebhook.Intake,
		otlp.Intake,
		mezmo.Intake,
		stdout.Intake,
	} {
		intake.Register(in)
	}
}
