package jsonw

// IntLen is the number of bytes strconv.AppendInt(_, v, 10) writes: the framings size a
// JSON number member (a timestamp) before writing it, without formatting it twice.
func IntLen(v int64) int {
	n := 1
	if v < 0 {
		n++
		if v == -1<<63 {
			return 20
		}
		v = -v
	}
	for v >= 10 {
		v /= 10
		n++
	}
	return n
}
