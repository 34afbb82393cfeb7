package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/k8saudit/k8saudit/normalize"
	"github.com/k8saudit/k8saudit/plugin/deliver"
)

// counterDescs describe the series read from each output's Counts at scrape time.
type counterDescs struct {
	records, documents, pipelineErrors, salvaged, policyDropped, redacted, redactions, alerts,
	delivered, deadLettered, partialRejected, retries, bytesRaw, bytesSent, unreadable, oldest *prometheus.Desc
}

func newCounterDescs() counterDescs {
	d := func(name, help string, extra ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, append(labels[:2:2], extra...), nil)
	}
	return counterDescs{
		records:         d("k8saudit_records_total", "Records read from chunks, each once (a retried chunk is not recounted)."),
		documents:       d("k8saudit_documents_total", "Documents produced by the normalizer."),
		pipelineErrors:  d("k8saudit_pipeline_errors_total", "pipeline_error documents (records that could not be read as events)."),
		salvaged:        d("k8saudit_salvaged_total", "Event documents read by the normalizer's safe road."),
		policyDropped:   d("k8saudit_policy_dropped_total", "Events left out by policy_file or detect_alerts_only, by reason: rule_<n> (the n-th rule of policy_file), no_rule (none matched), detect_alerts_only.", "reason"),
		redacted:        d("k8saudit_redacted_total", "Documents with secret material replaced."),
		redactions:      d("k8saudit_redactions_total", "Documents with secret material replaced, by where: uri (requestURI's query), body (request or response object); a document redacted in both counts in both.", "kind"),
		alerts:          d("k8saudit_alerts_total", "Documents a detection matched, per rule id.", "rule"),
		delivered:       d("k8saudit_delivered_total", "Documents the intake accepted."),
		deadLettered:    d("k8saudit_dead_lettered_total", "Documents rejected for good (dead-letter file, or logged without one), by reason: too_large, refused (the whole request), refused_item (a per-document answer).", "reason"),
		partialRejected: d("k8saudit_partial_rejected_total", "Documents of accepted requests the intake said it dropped and must not be resent (OTLP partialSuccess.rejectedLogRecords); counted in delivered too."),
		retries:         d("k8saudit_retries_total", "Attempts that repeated a request after a retryable answer."),
		bytesRaw:        d("k8saudit_bytes_raw_total", "Request bodies before compression, bytes."),
		bytesSent:       d("k8saudit_bytes_sent_total", "Request bodies on the wire, bytes."),
		unreadable:      d("k8saudit_unreadable_chunks_total", "Chunks that could not be read to the end."),
		oldest:          d("k8saudit_oldest_undelivered_seconds", "Age of the oldest document handed to the sender and not yet delivered (0 when none)."),
	}
}

// countersCollector is the Hub seen as a prometheus.Collector of the Counts series.
type countersCollector Hub

func (c *countersCollector) Describe(ch chan<- *prometheus.Desc) {
	d := &c.counters
	for _, x := range []*prometheus.Desc{d.records, d.documents, d.pipelineErrors, d.salvaged, d.policyDropped, d.redacted, d.redactions, d.alerts,
		d.delivered, d.deadLettered, d.partialRejected, d.retries, d.bytesRaw, d.bytesSent, d.unreadable, d.oldest} {
		ch <- x
	}
}

func (c *countersCollector) Collect(ch chan<- prometheus.Metric) {
	h := (*Hub)(c)
	h.mu.Lock()
	outs, now := h.sorted(), h.now()
	h.mu.Unlock()
	d := &h.counters
	for _, o := range outs {
		n := o.src.Counts()
		counter := func(desc *prometheus.Desc, v uint64, extra ...string) {
			ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, float64(v), append([]string{o.name, o.intake}, extra...)...)
		}
		counter(d.records, n.Records)
		counter(d.documents, n.Documents)
		counter(d.pipelineErrors, n.PipelineErrors)
		counter(d.salvaged, n.Salvaged)
		for i := range max(len(n.PolicyDroppedBy), normalize.DropReasonCount(0)) {
			var v uint64 // the reasons of any configuration exist from 0
			if i < len(n.PolicyDroppedBy) {
				v = n.PolicyDroppedBy[i]
			}
			counter(d.policyDropped, v, normalize.DropReasonAt(i).Label())
		}
		counter(d.redacted, n.Redacted)
		for i, v := range n.RedactedIn {
			counter(d.redactions, v, redactedInLabels[i])
		}
		counter(d.delivered, n.Delivered)
		for i, v := range n.DeadLetteredBy {
			counter(d.deadLettered, v, deliver.DeadLetterReason(i).String())
		}
		counter(d.partialRejected, n.PartialRejected)
		counter(d.retries, n.Retries)
		counter(d.bytesRaw, n.BytesRaw)
		counter(d.bytesSent, n.BytesSent)
		counter(d.unreadable, n.UnreadableChunks)
		for i, id := range ruleIDs {
			if i < MaxRules && (o.rulesOn&(1<<i) != 0 || n.Rules[i] != 0) {
				counter(d.alerts, n.Rules[i], id)
			}
		}
		age := 0.0
		if pending, since := o.src.Pending(now); pending {
			age = max(now.Sub(since).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(d.oldest, prometheus.GaugeValue, age, o.name, o.intake)
	}
}
