package normalize

import (
	"testing"
	"time"

	"github.com/k8saudit/k8saudit/detect"
)

// BenchmarkNormalizeDetect is BenchmarkNormalize (format ecs, redaction
// on: the plugin's default) with every detection rule on.
func BenchmarkNormalizeDetect(b *testing.B) {
	lines, total := benchLines(b)
	benchNormalizeLines(b, Options{ClusterName: "test", Redact: true, Detect: allRules()}, lines, total)
}

// logDetectCost prints what detections cost normalize on the real corpus
// (a row of TestNormalizeRatio; the budget is 10%): the CPU time of
// normalizing the corpus with the plugin's default options and every rule
// on, against the same without detections, alternately, the best of
// several rounds of each (CPU time, not wall time: on a shared machine the
// wall clock counts other processes' turns); and the detection stage
// timed alone. The engine is new for each round, so every round sees the
// alerts for the first time once (the memory of alerted auditIDs keeps
// the repeats of later passes quiet, as it would in a real stream).
func logDetectCost(t *testing.T) {
	lines, _ := benchLines(t)
	const passes = 200
	cpuPerEvent := func(o Options) float64 {
		n := New(o)
		for _, l := range lines {
			n.Normalize(l, testRecordTime)
		}
		start := cpuTime()
		for p := 0; p < passes; p++ {
			for _, l := range lines {
				n.Normalize(l, testRecordTime)
			}
		}
		return float64((cpuTime() - start).Nanoseconds()) / passes / float64(len(lines))
	}
	off, on, core, stage := 1e18, 1e18, 1e18, 1e18
	for round := 0; round < 7; round++ {
		off = min(off, cpuPerEvent(Options{ClusterName: "test", Redact: true}))
		on = min(on, cpuPerEvent(Options{ClusterName: "test", Redact: true, Detect: detect.New(detect.Options{Rules: detect.AllRules()})}))
		core = min(core, cpuPerEvent(Options{ClusterName: "test", Redact: true, Detect: detect.New(detect.Options{})}))
		stage = min(stage, detectStageNs(lines, 200))
	}
	all, alerts, events := alertShare(lines, detect.AllRules())
	def, defAlerts, _ := alertShare(lines, detect.DefaultRules())
	t.Logf("ecs+redact, detections off vs all %d rules on: %.0f vs %.0f ns CPU/event (%+.1f%%; %d of %d events alert, each writing its rule and threat fields); the %d core rules: %.0f ns (%+.1f%%, %d alerts); the detection stage alone (all rules) %.0f ns/event, %.1f%% of normalize (budget 10%%)",
		len(all.IDs()), off, on, (on-off)/off*100, alerts, events, len(def.IDs()), core, (core-off)/off*100, defAlerts, stage, stage/off*100)
}

// alertShare counts the documents of the corpus that alert under rules.
func alertShare(lines [][]byte, rules detect.RuleSet) (detect.RuleSet, int, int) {
	n := New(Options{ClusterName: "test", Redact: true, Detect: detect.New(detect.Options{Rules: rules})})
	alerts, events := 0, 0
	for _, l := range lines {
		for _, d := range n.Normalize(l, testRecordTime) {
			events++
			if d.Alert {
				alerts++
			}
		}
	}
	return rules, alerts, events
}

// detectStageNs measures the detection stage alone, ns per event: each
// line that is one event is normalized once (its event stays in n.ev, its
// bodies in n.bodies), then n.detect runs on it reps times.
func detectStageNs(lines [][]byte, reps int) float64 {
	n := New(Options{ClusterName: "test", Redact: true, Detect: detect.New(detect.Options{Rules: detect.AllRules()})})
	var total time.Duration
	events := 0
	for _, l := range lines {
		docs := n.Normalize(l, testRecordTime)
		if len(docs) != 1 || docs[0].Error {
			continue // a list or an error: n.ev holds only its last event
		}
		events++
		n.detect(&n.ev) // warm-up
		best := time.Duration(1 << 62)
		for batch := 0; batch < 5; batch++ { // the best batch: preemption on a busy machine is not cost
			start := time.Now()
			for i := 0; i < reps; i++ {
				n.detect(&n.ev)
			}
			best = min(best, time.Since(start))
		}
		total += best
	}
	return float64(total.Nanoseconds()) / float64(reps) / float64(events)
}
