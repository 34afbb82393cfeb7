package syslog

import (
	"bytes"
	"os"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// sdValueMax bounds one SD-PARAM value, in bytes of the source value: the structured
// data is for filtering and correlation, the body carries the whole field.
const sdValueMax = 256

// markerKey is the top-level member added to a body cut at max_message_bytes; its
// value is the length of the whole document in bytes.
const markerKey = `"k8saudit_truncated":`

// formatter turns documents into framed syslog messages. It holds the scratch buffers of
// one Shipper and is used under its lock.
type formatter struct {
	s      *settings
	p, p2  fastjson.Parser
	f      fields
	hdr    []byte // header and structured data of the message being formatted
	cut    []byte // the cut body, when the document does not fit
	stack  []byte // open containers, for cutJSON
	procID []byte
}

func newFormatter(s *settings) *formatter {
	return &formatter{s: s, procID: strconv.AppendInt(nil, int64(os.Getpid()), 10)}
}

// appendFrame appends the framed message of doc (time t in Unix nanoseconds, 0 =
// unknown) to dst. cut reports that the body was cut to fit max_message_bytes; fixed,
// that a raw CR or LF in the body was replaced by a space under newline framing (never
// for our documents: compact JSON has no raw control character).
func (fm *formatter) appendFrame(dst, doc []byte, t int64) (out []byte, cut, fixed bool) {
	s := fm.s
	readFields(&fm.p, &fm.p2, doc, &fm.f)
	fm.hdr = fm.header(fm.hdr[:0], t, 0)
	body := doc
	if len(fm.hdr)+len(body) > s.MaxMessageBytes {
		cut = true
		fm.hdr = fm.header(fm.hdr[:0], t, len(doc))
		fm.cut, fm.stack = cutJSON(fm.cut[:0], fm.stack[:0], doc, s.MaxMessageBytes-len(fm.hdr))
		body = fm.cut
	}
	if s.octet {
		dst = strconv.AppendInt(dst, int64(len(fm.hdr)+len(body)), 10)
		dst = append(dst, ' ')
	}
	dst = append(dst, fm.hdr...)
	start := len(dst)
	dst = append(dst, body...)
	if !s.octet {
		// The frame ends at the first LF: a raw one in the body would split the message
		// and start the next with attacker-chosen bytes. JSON allows none outside strings
		// (where it is whitespace) and none inside; our documents are compact.
		b := dst[start:]
		if bytes.IndexByte(b, '\n') >= 0 || bytes.IndexByte(b, '\r') >= 0 {
			fixed = true
			for i, c := range b {
				if c == '\n' || c == '\r' {
					b[i] = ' '
				}
			}
		}
		dst = append(dst, '\n')
	}
	return dst, cut, fixed
}

// header appends the message up to its body: RFC 5424 HEADER SP STRUCTURED-DATA SP, or
// the RFC 3164 PRI, TIMESTAMP, HOSTNAME and TAG. truncated > 0 adds truncated="<it>" to
// the structured data.
func (fm *formatter) header(dst []byte, t int64, truncated int) []byte {
	s, f := fm.s, &fm.f
	pri := s.facility*8 + int(s.sev[f.class])
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(pri), 10)
	dst = append(dst, '>')
	if s.rfc3164 {
		ts := time.Now()
		if t != 0 {
			ts = time.Unix(0, t)
		}
		dst = ts.UTC().AppendFormat(dst, time.Stamp)
		dst = append(dst, ' ')
		dst = append(dst, s.Hostname...)
		dst = append(dst, ' ')
		dst = append(dst, s.AppName...)
		return append(dst, ':', ' ')
	}
	dst = append(dst, '1', ' ')
	if t == 0 {
		dst = append(dst, '-')
	} else {
		dst = time.Unix(0, t).UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000Z")
	}
	dst = append(dst, ' ')
	dst = append(dst, s.Hostname...)
	dst = append(dst, ' ')
	dst = append(dst, s.AppName...)
	dst = append(dst, ' ')
	dst = append(dst, fm.procID...)
	dst = append(dst, ' ')
	if msgIDOK(f.kind) {
		dst = append(dst, f.kind...)
	} else {
		dst = append(dst, '-')
	}
	dst = append(dst, ' ')
	mark := len(dst)
	dst = append(dst, '[')
	dst = append(dst, s.SDID...)
	n := len(dst)
	dst = appendParam(dst, "auditID", f.auditID)
	dst = appendParam(dst, "stage", f.stage)
	dst = appendParam(dst, "verb", f.verb)
	dst = appendParam(dst, "user", f.user)
	dst = appendParam(dst, "outcome", f.outcome)
	if truncated > 0 {
		dst = append(dst, ` truncated="`...)
		dst = strconv.AppendInt(dst, int64(truncated), 10)
		dst = append(dst, '"')
	}
	if len(dst) == n { // no parameter: NILVALUE rather than an empty element
		dst = append(dst[:mark], '-')
	} else {
		dst = append(dst, ']')
	}
	return append(dst, ' ')
}

// msgIDOK reports whether v can be the MSGID: 1..32 PRINTUSASCII.
func msgIDOK(v []byte) bool {
	if len(v) == 0 || len(v) > 32 {
		return false
	}
	for _, c := range v {
		if c < 33 || c > 126 {
			return false
		}
	}
	return true
}

// appendParam appends SP name="value" unless v is empty. The value is escaped per RFC
// 5424 §6.3.3 (", \ and ] take a backslash); a control character or an invalid UTF-8
// byte becomes '?', so that no value can end the element, the message or (newline
// framing) the frame; at most sdValueMax bytes of v are kept, cut on a rune boundary.
func appendParam(dst []byte, name string, v []byte) []byte {
	if len(v) == 0 {
		return dst
	}
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, '=', '"')
	if len(v) > sdValueMax {
		v = v[:sdValueMax]
	}
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == ']':
				dst = append(dst, '\\', c)
			case c < 0x20 || c == 0x7f:
				dst = append(dst, '?')
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(v[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			if !utf8.FullRune(v[i:]) && len(v) == sdValueMax {
				return append(dst, '"') // a rune cut by the bound: end before it
			}
			dst = append(dst, '?')
		case r >= 0x80 && r < 0xa0, r == 0x2028, r == 0x2029:
			dst = append(dst, '?') // C1 controls and Unicode line separators
		default:
			dst = append(dst, v[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}
