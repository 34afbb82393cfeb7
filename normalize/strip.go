package normalize

import (
	"strconv"

	"github.com/k8saudit/k8saudit/internal/jsonskip"
)

// Bodies (requestObject, responseObject) are most of an audit record's bytes
// (80% of the real fixtures) and are shipped almost as they are. Parsing them
// into a fastjson tree only to walk it and re-escape every string costs four
// times the parse, so they never reach fastjson: before parsing, strip copies
// the record and replaces the value of every requestObject or responseObject
// member with a marker, the decimal index of a body in Normalizer.bodies,
// whose sanitized text the body scanner (scan.go) has already written to
// Normalizer.bodyBuf in the same pass. fastjson then parses the small rest,
// and the writer copies each body with one memmove.
//
// In a stripped tree, a number under a body key is always a marker: strip
// replaces such members whatever their value's type, outside bodies, at any
// depth, with keys compared after unescaping. Every renderer of a stripped
// tree (appendValue, copyOmit) resolves markers; everything else reads only
// strings or goes through the body table. A body that is not strict JSON
// (NaN, a bad escape, a truncated record) makes strip fail, and the record
// takes the old road: a full fastjson parse with bodies as trees ("unmarked").

// body is one stripped body.
type body struct {
	raw        []byte                     // the body's text in the input
	start, end int                        // its sanitized text in bodyBuf (empty when over)
	same       bool                       // the sanitized text is raw, not copied to bodyBuf (see bodyText)
	name       []byte                     // metadata.name, unescaped, in names (nil when absent)
	kind       byte                       // '{', '[' or 0 for a scalar
	shapeOK    bool                       // a non-empty object, or a non-empty array of objects only
	hasSpec    bool                       // an object whose first "spec" member is an object
	specAt     int                        // with hasSpec, that object's offset in the sanitized text
	podSpec    [len(podSpecMembers)]int32 // with podSpecOK, where spec's podSpecMembers are (-1: absent)
	podSpecOK  bool
	over       bool  // the sanitized text exceeded the limit and was not kept
	kindClass  uint8 // the redaction classes its top-level "kind" members name
	redacted   bool  // a value was replaced in its sanitized text
	cut        bool  // a container nested too deeply was replaced by CutValue
}

// strip writes src with bodies replaced by markers to dst. It is lenient
// outside bodies (fastjson validates the result) and strict inside them;
// false means a body could not be scanned and the record must be parsed
// unmarked.
func (n *Normalizer) strip(dst, src []byte) ([]byte, bool) {
	const (
		stObj = 1 + iota // in an object, expecting a key
		stObjVal
		stArr
	)
	stack := n.st.stack[:0]
	defer func() { n.st.stack = stack }()
	mark := 0 // src[mark:i] is pending, to be copied as is
	for i := 0; i < len(src); {
		c := src[i]
		switch c {
		case '"':
			j := jsonskip.StringEnd(src, i+1)
			if j < 0 {
				return append(dst, src[mark:]...), true // fastjson will reject it
			}
			isKey := len(stack) > 0 && stack[len(stack)-1] == stObj
			if !isKey {
				i = j
				continue
			}
			stack[len(stack)-1] = stObjVal
			k := src[i+1 : j-1]
			if !n.isBodyKey(k) {
				i = j
				continue
			}
			// Copy through the colon, then the marker instead of the value.
			v := skipWS(src, j)
			if v >= len(src) || src[v] != ':' {
				i = j
				continue
			}
			v = skipWS(src, v+1)
			dst = append(dst, src[mark:j]...)
			dst = append(dst, ':')
			end, ok := n.scanBody(src, v)
			if !ok {
				return dst, false
			}
			dst = strconv.AppendInt(dst, int64(len(n.bodies)-1), 10)
			mark, i = end, end
		case '{', '[':
			if len(stack) >= maxScanDepth {
				n.st.deep = true // fastjson would reject it (see parse)
				return append(dst, src[mark:]...), true
			}
			if c == '{' {
				stack = append(stack, stObj)
			} else {
				stack = append(stack, stArr)
			}
			i++
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			i++
		case ',':
			if len(stack) > 0 && stack[len(stack)-1] == stObjVal {
				stack[len(stack)-1] = stObj
			}
			i++
		default:
			i++
		}
	}
	return append(dst, src[mark:]...), true
}

// isBodyKey reports whether a raw (escaped) key is requestObject or
// responseObject once unescaped.
func (n *Normalizer) isBodyKey(k []byte) bool {
	if len(k) < len("requestObject") {
		return false
	}
	if hasBackslash(k) {
		n.sc.keyBuf = unescape(n.sc.keyBuf[:0], k)
		k = n.sc.keyBuf
	}
	return string(k) == "requestObject" || string(k) == "responseObject"
}

func skipWS(src []byte, i int) int {
	for i < len(src) && isSpace(src[i]) {
		i++
	}
	return i
}

func hasBackslash(b []byte) bool { return indexByte(b, '\\') >= 0 }

// stripState is strip's working memory, kept across records.
type stripState struct {
	stripped []byte  // the record given to Normalizer.p, bodies replaced by markers
	stack    []uint8 // strip's container stack
	deep     bool    // strip met nesting past maxScanDepth outside the bodies
	inner    []byte  // the same as stripped, for Normalizer.inner
}
