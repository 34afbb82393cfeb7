package instance

import (
	"errors"
	"fmt"
	"time"

	"github.com/k8saudit/k8saudit/detect"
	"github.com/k8saudit/k8saudit/normalize"
	"github.com/k8saudit/k8saudit/plugin/config"
	"github.com/k8saudit/k8saudit/plugin/metrics"
)

// Counts is a snapshot of the instance's and its sender's counters (metrics.Source): the
// same atomics the exit line reads, so the metrics, the stats line and the exit line
// never disagree.
func (in *Instance) Counts() metrics.Counts {
	c := metrics.Counts{
		Records: in.records.Load(), Documents: in.documents.Load(), PipelineErrors: in.pipelineErrors.Load(),
		Salvaged: in.salvaged.Load(), PolicyDropped: in.dropped.Load(), Redacted: in.redacted.Load(),
		Alerts: in.alerts.Load(), UnreadableChunks: in.chunkErrors.Load(),
	}
	for i := range in.ruleHits {
		c.Rules[i] = in.ruleHits[i].Load()
	}
	c.PolicyDroppedBy = make([]uint64, len(in.droppedBy))
	for i := range in.droppedBy {
		c.PolicyDroppedBy[i] = in.droppedBy[i].Load()
	}
	for i := range in.redactedIn {
		c.RedactedIn[i] = in.redactedIn[i].Load()
	}
	if in.ready.Load() { // false while NewWith is still building the instance (already registered)
		s := in.shipper.Stats()
		c.Delivered, c.DeadLettered, c.Requests, c.Retries = s.Delivered, s.DeadLettered, s.Requests, s.Retries
		c.BytesRaw, c.BytesSent, c.PartialRejected = s.BytesRaw, s.BytesSent, s.PartialRejected
		c.DeadLetteredBy = s.DeadLetteredBy
	}
	return c
}

// rulesOn is the mask of the detection rules enabled, whose alert series exist from 0.
func rulesOn(cfg *config.Config) uint64 {
	if !cfg.Detection.On {
		return 0
	}
	var m uint64
	for i := range detect.Rules() {
		if i < metrics.MaxRules && cfg.Detection.Options.Rules.Has(i) {
			m |= 1 << i
		}
	}
	return m
}

// listen starts the process's metrics listener when metrics_listen asks for it. Another
// address than the running listener's is a warning, not an error: the running listener
// serves this output too.
func (in *Instance) listen() error {
	if in.metrics == nil || in.cfg.MetricsListen == "" {
		return nil
	}
	bound, err := in.metrics.Listen(in.cfg.MetricsListen)
	switch {
	case errors.Is(err, metrics.ErrOtherAddress):
		in.log.Warnf("metrics_listen: %v", err)
	case err != nil:
		return err
	default:
		in.log.Infof("metrics on http://%s/metrics, probes on /healthz and /readyz", bound)
	}
	return nil
}

func (in *Instance) unregister() {
	if in.metrics != nil {
		in.metrics.Unregister(in.output)
	}
}

// startStats starts the stats line: every stats_interval, at info level, the counters
// since the previous line.
func (in *Instance) startStats() {
	if in.cfg.StatsInterval <= 0 {
		return
	}
	in.stop, in.statsDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(in.statsDone)
		t := time.NewTicker(in.cfg.StatsInterval)
		defer t.Stop()
		prev := in.Counts()
		for {
			select {
			case <-in.stop:
				return
			case <-t.C:
				cur := in.Counts()
				in.log.Infof("%s", in.statsLine(cur.Sub(prev), time.Now()))
				prev = cur
			}
		}
	}()
}

func (in *Instance) stopStats() {
	if in.stop != nil {
		close(in.stop)
		<-in.statsDone
	}
}

// statsLine renders what happened in one stats_interval, and what is pending now.
func (in *Instance) statsLine(d metrics.Counts, now time.Time) string {
	oldest := "0s"
	if pending, since := in.Pending(now); pending {
		oldest = now.Sub(since).Round(time.Second).String()
	}
	return fmt.Sprintf("stats last %s: records=%d documents=%d delivered=%d dead_lettered=%d partial_rejected=%d policy_dropped=%d pipeline_errors=%d salvaged=%d redacted=%d alerts=%d unreadable_chunks=%d requests=%d retries=%d bytes_raw=%d bytes_sent=%d oldest_undelivered=%s",
		in.cfg.StatsInterval, d.Records, d.Documents, d.Delivered, d.DeadLettered, d.PartialRejected, d.PolicyDropped, d.PipelineErrors, d.Salvaged,
		d.Redacted, d.Alerts, d.UnreadableChunks, d.Requests, d.Retries, d.BytesRaw, d.BytesSent, oldest)
}

// countDrops counts a record's dropped events by reason (a reason past the slice, which
// the policy's length rules out, counts as no rule rather than not at all).
func (in *Instance) countDrops(why []normalize.DropReason) {
	for _, r := range why {
		i := r.Index()
		if i < 0 || i >= len(in.droppedBy) {
			i = normalize.DroppedNoRule.Index()
		}
		in.droppedBy[i].Add(1)
	}
}
