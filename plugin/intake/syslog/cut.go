package syslog

import "strconv"

// cutJSON appends to dst a valid JSON object of at most budget bytes made of the start
// of doc, a compact JSON object: doc up to the last point where a value ends (before a
// comma, after a closing bracket), a container opens, or a string value can be closed
// (never inside a key, an escape sequence or a UTF-8 sequence), the string and the
// containers still open closed, and the top-level member
// "k8saudit_truncated":<len(doc)> added. The members
// that come first (an ECS document's @timestamp, event, user, source …) survive, the
// ones at the end (kubernetes.audit's bodies) go first. stack is scratch for the open
// containers, returned for reuse.
//
// A doc that is not an object, or a budget too small for even "{" and the marker,
// gives the marker object alone: the receiver still learns that an event of that size
// was cut.
func cutJSON(dst, stack, doc []byte, budget int) ([]byte, []byte) {
	var num [20]byte
	marker := len(markerKey) + len(strconv.AppendInt(num[:0], int64(len(doc)), 10)) + 1 // key, value, final }
	best, bestMembers, bestInStr := -1, false, false
	if len(doc) > 0 && doc[0] == '{' {
		stack = stack[:0]
		inStr, inValue, expectKey := false, false, false
		for i := 0; i < len(doc) && i < budget; i++ {
			c := doc[i]
			if inStr {
				if c == '"' {
					inStr = false
					continue
				}
				// Inside a value string, before any byte that starts a character (not
				// a UTF-8 continuation byte, not inside an escape): the string can be
				// closed here, so a long value keeps its start.
				if inValue && c&0xc0 != 0x80 {
					if need := i + 1 + (len(stack) - 1) + marker + 1; need <= budget {
						best, bestMembers, bestInStr = i, true, true
					}
				}
				if c == '\\' {
					if i+1 < len(doc) && doc[i+1] == 'u' {
						i += 5
					} else {
						i++
					}
				}
				continue
			}
			cand := -1
			switch c {
			case '"':
				inStr = true
				inValue = !(expectKey && stack[len(stack)-1] == '}')
				continue
			case ':':
				expectKey = false
				continue
			case '{':
				stack = append(stack, '}')
				expectKey = true
				cand = i + 1
			case '[':
				stack = append(stack, ']')
				expectKey = false
				cand = i + 1
			case '}', ']':
				if len(stack) > 0 {
					stack = stack[:len(stack)-1]
				}
				expectKey = false
				if len(stack) >= 1 {
					cand = i + 1
				}
			case ',':
				if len(stack) >= 1 {
					expectKey = stack[len(stack)-1] == '}'
					cand = i
				}
			}
			if cand < 0 {
				continue
			}
			members := cand > 1 // the top-level object has a member before the cut
			need := cand + (len(stack) - 1) + marker
			if members {
				need++ // the comma before the marker
			}
			if need <= budget {
				best, bestMembers, bestInStr = cand, members, false
			}
		}
	}
	if best < 0 {
		dst = append(dst, '{')
		dst = append(dst, markerKey...)
		dst = strconv.AppendInt(dst, int64(len(doc)), 10)
		return append(dst, '}'), stack
	}
	// Replay the prefix for its open containers; the first is the top-level object,
	// closed by the marker.
	stack = stack[:0]
	inStr := false
	for i := 0; i < best; i++ {
		c := doc[i]
		if inStr {
			if c == '\\' {
				i++
			} else if c == '"' {
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{':
			stack = append(stack, '}')
		case '[':
			stack = append(stack, ']')
		case '}', ']':
			stack = stack[:len(stack)-1]
		}
	}
	dst = append(dst, doc[:best]...)
	if bestInStr {
		dst = append(dst, '"')
	}
	for j := len(stack) - 1; j >= 1; j-- {
		dst = append(dst, stack[j])
	}
	if bestMembers {
		dst = append(dst, ',')
	}
	dst = append(dst, markerKey...)
	dst = strconv.AppendInt(dst, int64(len(doc)), 10)
	return append(dst, '}'), stack
}
