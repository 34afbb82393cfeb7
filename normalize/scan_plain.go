package normalize

// Plain subtrees. Below the body's second level the scanner's bookkeeping
// (what a key is, what the next value is for, where a member starts in the
// output) serves one rule only: dropping metadata.managedFields. A
// container there that holds no "metadata" key, no whitespace and no string
// the scanner would sanitize is copied as it is, so skipPlain only checks
// it and finds its end, without the scanner's stack. When it meets anything
// else it gives way (ok false) and the scanner takes the container from its
// start; TestSkipPlainAgrees holds the two to the same output.

// skipPlain checks the container at src[i] ('{' or '['), at stack depth
// depth, and returns the index after it.
func (s *scanner) skipPlain(src []byte, i, depth int) (int, bool) {
	if depth >= maxScanDepth {
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
		if obj {
			if i >= len(src) || src[i] != '"' {
				return 0, false
			}
			j, esc, ok := plainString(src, i+1)
			if !ok || s.drop && (esc || j-i == 10 && string(src[i+1:j-1]) == "metadata") {
				return 0, false
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
			i, _, ok = plainString(src, i+1)
		case '{', '[':
			i, ok = s.skipPlain(src, i, depth+1)
		case 't', 'f', 'n':
			lit := litTrue
			if c == 'f' {
				lit = litFalse
			} else if c == 'n' {
				lit = litNull
			}
			ok = len(src)-i >= len(lit) && string(src[i:i+len(lit)]) == string(lit)
			i += len(lit)
		default:
			j := numberEnd(src, i)
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
// ASCII. It returns the index after the closing quote and whether it has
// an escape.
func plainString(src []byte, i int) (int, bool, bool) {
	if n, ok := shortString(src, i); ok {
		return i + n + 1, false, true
	}
	esc := false
	for {
		n, e := skipString(src[i:])
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
			return 0, false, false // a control character or non-ASCII: sanitized or decoded
		}
	}
}
