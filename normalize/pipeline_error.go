package normalize

import (
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// A record that cannot be normalized still becomes a document, so that it is
// shipped, seen and counted instead of blocking or vanishing:
//
//	{"@timestamp":…,"event":{"kind":"pipeline_error","module":"kubernetes",
//	 "dataset":"kubernetes.audit_logs","original":"<text, bounded>"},
//	 "error":{"message":"<why>"},"orchestrator":{"type":"kubernetes",
//	 "cluster":{"name":…}},"labels":{"truncated":true}}
//
// @timestamp is the record time from Fluent Bit; when that is 0 (unknown) it
// is left out rather than invented from the clock, so that output stays a
// pure function of the input (Doc.Time is then 0 too). The same document is
// produced in format raw, which has no other way to carry the failure.

// pipelineErrorValue is pipelineError for a parsed value whose own text is
// not at hand: the value is rendered compactly to serve as the original.
func (n *Normalizer) pipelineErrorValue(v *fastjson.Value, marked bool, original []byte, msg, detail string) {
	if original == nil {
		n.scratch = n.appendValue(n.scratch[:0], v, marked, false)
		original = n.scratch
	}
	n.pipelineError(original, msg, detail)
}

// pipelineError writes one pipeline_error document. msg is a fixed text;
// detail, when not empty, is appended to it (a parser's error text).
func (n *Normalizer) pipelineError(original []byte, msg, detail string) {
	w := &n.w
	start := len(w.b)
	w.begin()
	if n.recordTime != 0 {
		w.time(kAtTimestamp, n.recordTime)
	}
	w.open(kEvent)
	w.strConst(kKind, "pipeline_error")
	w.strConst(kModule, "kubernetes")
	w.strConst(kDataset, "kubernetes.audit_logs")
	cut, truncated := boundUTF8(original, n.maxOriginal)
	w.str(kOriginal, cut)
	w.close()
	w.open(kError)
	w.key(kMessage)
	w.b = append(w.b, '"')
	w.b = appendEscapedString(w.b, msg)
	w.b = appendEscapedString(w.b, detail)
	w.b = append(w.b, '"')
	w.close()
	w.open(kOrchestrator)
	n.writeOrchestratorBase()
	w.close()
	if truncated {
		w.open(kLabels)
		w.boolTrue(kTruncated)
		w.close()
	}
	w.end()
	n.spans = append(n.spans, docSpan{
		start: start, end: len(w.b),
		idStart: len(n.meta), idEnd: len(n.meta),
		stStart: len(n.meta), stEnd: len(n.meta),
		time: n.recordTime, err: true,
	})
}

// boundUTF8 cuts s to at most max bytes without splitting a UTF-8 sequence.
func boundUTF8(s []byte, max int) ([]byte, bool) {
	if len(s) <= max {
		return s, false
	}
	cut := max
	// Step back over at most 3 continuation bytes to the start of a rune.
	for i := 0; i < utf8.UTFMax-1 && cut > 0 && !utf8.RuneStart(s[cut]); i++ {
		cut--
	}
	return s[:cut], true
}
