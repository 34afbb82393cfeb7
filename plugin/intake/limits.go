package intake

import "github.com/k8saudit/k8saudit/plugin/deliver"

// LimitsOf returns the limits deliver's HTTP core documents for one of its framings.
func LimitsOf(name string) deliver.Limits {
	l, ok := deliver.IntakeLimits(name)
	if !ok {
		panic("deliver has no framing for intake " + name)
	}
	return l
}
