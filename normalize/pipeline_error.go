package normalize

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// Text that holds no event that can be read (not JSON, JSON that is not an
// audit event, a salvage that found nothing to go on: see salvage.go) still
// becomes a document, so that it is shipped, seen and counted instead of
// blocking or vanishing. It never carries the text itself, which no policy
// or redaction has read (a request body can hold a Secret), only what makes
// it findable and correlatable:
//
//	{"@timestamp":…,"event":{"kind":"pipeline_error","module":"kubernetes",
//	 "dataset":"kubernetes.audit_logs","hash":"<SHA-256 of the text, hex>"},
//	 "error":{"message":"<why>"},"orchestrator":{"type":"kubernetes",
//	 "cluster":{"name":…}},"labels":{"original_bytes":<its length>}}
//
// With Options.KeepUnparsedText, event.original holds the text, bounded to
// MaxOriginalBytes on a UTF-8 boundary (labels.truncated: true when cut).
// The text hashed is the record as given when the whole record is refused,
// the value's own text in the record for a part of it, and the compact
// rendering of a parsed value that is not an event. @timestamp is the
// record time from Fluent Bit; when that is 0 (unknown) it is left out
// rather than invented from the clock, so that output stays a pure
// function of the input (Doc.Time is then 0 too). The same document is
// produced in format raw, which has no other way to carry the failure.
// error.message is one of the fixed texts of split.go, with a byte offset
// at most: never a parser's message, which quotes the input.

// pipelineErrorValue is unparsed for a parsed value whose own text is not
// at hand: the value is rendered compactly to serve as the text.
func (n *Normalizer) pipelineErrorValue(v *fastjson.Value, marked bool, original []byte, msg string) {
	if original == nil {
		n.doc.scratch = n.appendValue(n.doc.scratch[:0], v, marked, false)
		original = n.doc.scratch
	}
	n.unparsed(original, msg, -1)
}

// unparsed writes one pipeline_error document for text. msg is a fixed
// text; at >= 0 appends " at byte <at>".
func (n *Normalizer) unparsed(text []byte, msg string, at int) {
	m := append(n.sv.msg[:0], msg...)
	if at >= 0 {
		m = append(m, " at byte "...)
		m = strconv.AppendInt(m, int64(at), 10)
	}
	n.sv.msg = m
	n.unparsedMsg(text, m)
}

// unparsedMsg is unparsed with the message written.
func (n *Normalizer) unparsedMsg(text, msg []byte) {
	w := &n.w
	start := len(w.B)
	w.Begin()
	if n.recordTime != 0 {
		w.Time(kAtTimestamp, n.recordTime)
	}
	w.Open(kEvent)
	w.StrConst(kKind, "pipeline_error")
	w.StrConst(kModule, "kubernetes")
	w.StrConst(kDataset, "kubernetes.audit_logs")
	sum := sha256.Sum256(text)
	w.Key(kHash)
	w.B = append(w.B, '"')
	w.B = hex.AppendEncode(w.B, sum[:])
	w.B = append(w.B, '"')
	truncated := false
	if n.opt.KeepUnparsedText {
		var cut []byte
		cut, truncated = boundUTF8(text, n.maxOriginal)
		w.Str(kOriginal, cut)
	}
	w.Close()
	w.Open(kError)
	w.Str(kMessage, msg)
	w.Close()
	w.Open(kOrchestrator)
	n.writeOrchestratorBase()
	w.Close()
	w.Open(kLabels)
	w.Int(kOriginalBytes, int64(len(text)))
	if truncated {
		w.BoolTrue(kTruncated)
	}
	w.Close()
	w.End()
	n.spans = append(n.spans, docSpan{
		start: start, end: len(w.B),
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
