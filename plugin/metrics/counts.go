package metrics

import (
	"time"

	"github.com/k8saudit/k8saudit/plugin/deliver"
)

// MaxRules bounds the rule indexes Counts.Rules holds: detect's catalogue has at most 64
// rules (one bit each in normalize.Doc.Rules).
const MaxRules = 64

// Counts is a snapshot of one output's counters since it started. The instance fills it
// from the atomics it already keeps; the hub turns it into series at each scrape and the
// stats line into differences.
type Counts struct {
	Records          uint64 // records read from chunks, a retried chunk counted once
	Documents        uint64 // documents the normalizer produced
	PipelineErrors   uint64 // pipeline_error documents
	Salvaged         uint64 // event documents read by the normalizer's safe road
	PolicyDropped    uint64 // events left out by policy_file or detect_alerts_only
	Redacted         uint64 // documents with secret material replaced
	Alerts           uint64 // documents a detection matched (any rule)
	UnreadableChunks uint64 // chunks that could not be read to the end
	Delivered        uint64 // documents the intake accepted
	DeadLettered     uint64 // documents rejected for good
	Requests         uint64 // requests sent, every attempt
	Retries          uint64 // attempts that repeated a request
	BytesRaw         uint64 // request bodies before compression
	BytesSent        uint64 // request bodies on the wire
	// PartialRejected: documents of accepted requests the intake said it dropped (OTLP
	// partialSuccess.rejectedLogRecords); they are in Delivered too (never resent).
	PartialRejected uint64

	// Rules counts documents per matched rule, by the rule's index in RuleIDs.
	Rules [MaxRules]uint64
	// PolicyDroppedBy splits PolicyDropped by reason, indexed by normalize's
	// DropReason.Index (alerts-only, no rule, then the policy's rules).
	PolicyDroppedBy []uint64
	// RedactedIn counts the redacted documents by where: RedactedURI, RedactedBody (a
	// document redacted in both places counts in both).
	RedactedIn [2]uint64
	// DeadLetteredBy splits DeadLettered by deliver.DeadLetterReason.
	DeadLetteredBy [deliver.NumDeadLetterReasons]uint64
}

// Where a document was redacted: the indexes of Counts.RedactedIn and their labels.
const (
	RedactedURI = iota
	RedactedBody
)

var redactedInLabels = [2]string{RedactedURI: "uri", RedactedBody: "body"}

// Sub returns c - prev, counter by counter: what happened between two snapshots.
func (c Counts) Sub(prev Counts) Counts {
	d := Counts{
		Records: c.Records - prev.Records, Documents: c.Documents - prev.Documents,
		PipelineErrors: c.PipelineErrors - prev.PipelineErrors, Salvaged: c.Salvaged - prev.Salvaged,
		PolicyDropped: c.PolicyDropped - prev.PolicyDropped, Redacted: c.Redacted - prev.Redacted,
		Alerts: c.Alerts - prev.Alerts, UnreadableChunks: c.UnreadableChunks - prev.UnreadableChunks,
		Delivered: c.Delivered - prev.Delivered, DeadLettered: c.DeadLettered - prev.DeadLettered,
		Requests: c.Requests - prev.Requests, Retries: c.Retries - prev.Retries,
		BytesRaw: c.BytesRaw - prev.BytesRaw, BytesSent: c.BytesSent - prev.BytesSent,
		PartialRejected: c.PartialRejected - prev.PartialRejected,
	}
	for i := range c.Rules {
		d.Rules[i] = c.Rules[i] - prev.Rules[i]
	}
	d.PolicyDroppedBy = make([]uint64, len(c.PolicyDroppedBy))
	for i, v := range c.PolicyDroppedBy {
		d.PolicyDroppedBy[i] = v
		if i < len(prev.PolicyDroppedBy) {
			d.PolicyDroppedBy[i] -= prev.PolicyDroppedBy[i]
		}
	}
	for i := range c.RedactedIn {
		d.RedactedIn[i] = c.RedactedIn[i] - prev.RedactedIn[i]
	}
	for i := range c.DeadLetteredBy {
		d.DeadLetteredBy[i] = c.DeadLetteredBy[i] - prev.DeadLetteredBy[i]
	}
	return d
}

// Source is what an output reports when scraped: its counters and what is pending.
type Source interface {
	// Counts is a snapshot of the counters.
	Counts() Counts
	// Pending reports whether documents were handed to the sender and are not yet
	// delivered (a flush in progress, a chunk waiting for Fluent Bit's retry), and since
	// when the oldest of them waits.
	Pending(now time.Time) (pending bool, since time.Time)
}
