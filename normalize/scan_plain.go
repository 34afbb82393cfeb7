package normalize

import (
	"unicode/utf8"

	"github.com/k8saudit/k8saudit/internal/jsonskip"
	"github.com/k8saudit/k8saudit/normalize/internal/redact"
)

// Plain subtrees. Below the body's second level the scanner's bookkeeping
// (what a key is, what the next value is for, where a member starts in the
// output) serves one rule only: dropping metadata.managedFields. A
// container there that holds no metadata.managedFields, no whitespace and
// no string the scanner would sanitize is copied as it is, so skipPlain
// only checks it and finds its end, without the scanner's stack. When it
// meets anything else it gives way (ok false) and the scanner takes the
// container from its start; TestSkipPlainAgrees holds the two to the same
// output. Bodies with a path to redact never come here, and a credential
// (package redact, cred.go) makes it give way too.

// skipPlain checks the container at src[i] ('{' or '['), at stack depth
// depth, and returns the index after it; meta says it is the value of a
// "metadata" member, where a "managedFields" member is left out.
func (s *scanner) skipPlain(src []byte, i, depth int, meta bool) (int, bool) {
	if depth >= maxScanDepth {
		s.deep = true
		return 0, false
	}
	obj := src[i] == '{'
	end := byte(']')
	if obj {
		end = '}'
	}
	i++
	if i < len(src) && src[i] == end {
		return i + 1, true
	}
	for {
		metaValue := false
		if obj {
			if i >= len(src) || src[i] != '"' {
				return 0, false
			}
			j, esc, ok := plainString(src, i+1)
			if !ok || s.drop && esc { // an escaped key is compared by the scanner
				return 0, false
			}
			if k := src[i+1 : j-1]; s.cred && (esc || redact.MayBeAuthKey(k)) && s.authKey(k, esc) {
				return 0, false // replaced by the scanner
			}
			if s.drop {
				k := src[i+1 : j-1]
				if meta && string(k) == "managedFields" {
					return 0, false
				}
				metaValue = string(k) == "metadata"
			}
			if j >= len(src) || src[j] != ':' {
				return 0, false
			}
			i = j + 1
		}
		if i >= len(src) {
			return 0, false
		}
		var ok bool
		switch c := src[i]; c {
		case '"':
			if s.cred && redact.MayBeCredential(src, i+1) && redact.CredentialValue(src, i+1) {
				return 0, false // replaced by the scanner
			}
			i, _, ok = plainString(src, i+1)
		case '{', '[':
			i, ok = s.skipPlain(src, i, depth+1, metaValue && c == '{')
		case 't', 'f', 'n':
			i, ok = literalEnd(src, i)
		default:
			j := jsonskip.NumberEnd(src, i)
			i, ok = j, j > i
		}
		if !ok || i >= len(src) {
			return 0, false
		}
		switch src[i] {
		case ',':
			i++
			continue
		case end:
			return i + 1, true
		}
		return 0, false
	}
}

// plainString checks a string's content from i (after the opening quote)
// that the scanner copies as it is: escapes valid, no control character,
// valid UTF-8. It returns the index after the closing quote and whether it has
// an escape.
func plainString(src []byte, i int) (int, bool, bool) {
	if n, ok := jsonskip.ShortString(src, i); ok {
		return i + n + 1, false, true
	}
	esc := false
	for {
		n, e := jsonskip.SkipString(src[i:])
		i += n
		esc = esc || e
		if i >= len(src) {
			return 0, false, false
		}
		switch src[i] {
		case '"':
			return i + 1, esc, true
		case '\\':
			if i+6 > len(src) || src[i+1] != 'u' || !isHex(src[i+2]) || !isHex(src[i+3]) || !isHex(src[i+4]) || !isHex(src[i+5]) {
				return 0, false, false
			}
			i += 6
			esc = true
		default:
			if src[i] < utf8.RuneSelf {
				return 0, false, false // a control character: escaped by the scanner
			}
			r, size := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError && size == 1 {
				return 0, false, false // invalid UTF-8: replaced by the scanner
			}
			i += size
		}
	}
}
