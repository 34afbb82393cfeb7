package normalize

import "github.com/k8saudit/k8saudit/internal/jsonw"

// This file holds the append-style JSON writer. It never allocates except to
// grow the caller's buffer, and it always produces valid JSON: strings are
// escaped by internal/jsonw, the escaper every package shares (its package
// doc states the rule).

// appendInt appends a decimal integer.
func appendInt(dst []byte, v int64) []byte {
	if v < 0 {
		dst = append(dst, '-')
		if v == -v { // math.MinInt64
			return append(dst, "9223372036854775808"...)
		}
		v = -v
	}
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(dst, buf[i:]...)
}

// validNumber reports whether s is a number under the JSON grammar. fastjson
// accepts more (NaN, Inf, "1.2.3", "+1"), which must never reach the output.
func validNumber(s []byte) bool {
	return len(s) > 0 && numberEnd(s, 0) == len(s)
}

// writer builds one JSON object with comma bookkeeping and rollback, so that
// an object or array that ends up with no members disappears together with
// its key ("leave out empty values").
type writer struct {
	b     []byte
	d     int
	cur   int   // members written at the current level
	count []int // members written at each enclosing level, saved by push
	mark  []int // len(b) before the key of the container at each level
}

// begin starts the top-level object.
func (w *writer) begin() {
	w.d = 0
	if len(w.count) == 0 {
		// Grown once, on demand, up to the deepest nesting seen; copied
		// values are bounded by fastjson's MaxDepth.
		w.count = make([]int, 16)
		w.mark = make([]int, 16)
	}
	w.cur = 0
	w.mark[0] = len(w.b)
	w.b = append(w.b, '{')
}

// end closes the top-level object.
func (w *writer) end() { w.b = append(w.b, '}') }

// sep writes the comma before a member when one is needed and counts it.
func (w *writer) sep() {
	if w.cur > 0 {
		w.b = append(w.b, ',')
	}
	w.cur++
}

// wkey is a constant key as the writer writes it, `"k":`, in a fixed block.
// Keys are the writer's most frequent copy (some 60 a document): a block
// of fixed size moves as two 16-byte words, with no branch on its length,
// in a key small enough to be inlined; an append of the string was a call
// to memmove each.
type wkey struct {
	text [32]byte
	n    int // the length of `"k":` in text
}

// newKey makes the writer's key for k, a constant that needs no escaping.
func newKey(k string) *wkey {
	if len(k)+3 > len(wkey{}.text) || len(jsonw.AppendEscapedString(nil, k)) != len(k) {
		panic("normalize: key unfit for the writer: " + k)
	}
	w := &wkey{n: len(k) + 3}
	w.text[0] = '"'
	copy(w.text[1:], k)
	w.text[1+len(k)], w.text[2+len(k)] = '"', ':'
	return w
}

// key writes a constant key, with its comma when one is needed: the comma
// is always stored and the key written over it when none is needed. The
// buffer grows by an append (a call would make key too big to inline).
func (w *writer) key(k *wkey) {
	l := len(w.b)
	if l+33 > cap(w.b) {
		w.b = append(w.b, keyRoom[:]...)[:l]
	}
	o := min(w.cur, 1)
	w.cur++
	w.b = w.b[:l+o+k.n]
	w.b[l] = ','
	*(*[32]byte)(w.b[l+o : l+o+32]) = k.text
}

// keyRoom is what key appends, and takes back, to grow the buffer.
var keyRoom [33]byte

// keyBytes writes a key taken from input, escaped.
func (w *writer) keyBytes(k []byte) {
	w.sep()
	w.b = jsonw.AppendQuoted(w.b, k)
	w.b = append(w.b, ':')
}

// elem starts an array element.
func (w *writer) elem() { w.sep() }

func (w *writer) push(open byte, markPos int) {
	w.count[w.d] = w.cur
	w.d++
	if w.d == len(w.count) {
		w.count = append(w.count, 0)
		w.mark = append(w.mark, 0)
	}
	w.cur = 0
	w.mark[w.d] = markPos
	w.b = append(w.b, open)
}

// open starts an object member named k; close removes it again if it stayed empty.
func (w *writer) open(k *wkey) {
	m := len(w.b)
	w.key(k)
	w.push('{', m)
}

// openArr starts an array member named k.
func (w *writer) openArr(k *wkey) {
	m := len(w.b)
	w.key(k)
	w.push('[', m)
}

// close ends the current object (or array, with closeArr); when nothing was
// written inside it, the key and the opener are removed.
func (w *writer) close() { w.pop('}') }

func (w *writer) closeArr() { w.pop(']') }

func (w *writer) pop(c byte) {
	if w.cur == 0 {
		w.b = w.b[:w.mark[w.d]]
		w.d--
		w.cur = w.count[w.d] - 1
		return
	}
	w.b = append(w.b, c)
	w.d--
	w.cur = w.count[w.d]
}

// str writes k: s, left out when s is empty.
func (w *writer) str(k *wkey, s []byte) {
	if len(s) == 0 {
		return
	}
	w.key(k)
	w.b = jsonw.AppendQuoted(w.b, s)
}

// strAs is str for a value known to need no escaping when plain.
func (w *writer) strAs(k *wkey, s []byte, plain bool) {
	if !plain {
		w.str(k, s)
		return
	}
	if len(s) == 0 {
		return
	}
	w.key(k)
	w.b = append(w.b, '"')
	w.b = append(w.b, s...)
	w.b = append(w.b, '"')
}

// members writes count constant members given as their text.
func (w *writer) members(text string, count int) {
	w.sep()
	w.b = append(w.b, text...)
	w.cur += count - 1
}

// strConst writes k: s for a constant s that needs no escaping.
func (w *writer) strConst(k *wkey, s string) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = append(w.b, s...)
	w.b = append(w.b, '"')
}

// strElem writes an array element, left out when empty.
func (w *writer) strElem(s []byte) {
	if len(s) == 0 {
		return
	}
	w.elem()
	w.b = jsonw.AppendQuoted(w.b, s)
}

// plainElem writes an array element known to need no escaping, left out
// when empty.
func (w *writer) plainElem(s []byte) {
	if len(s) == 0 {
		return
	}
	w.elem()
	w.b = append(w.b, '"')
	w.b = append(w.b, s...)
	w.b = append(w.b, '"')
}

// constElem writes a constant array element.
func (w *writer) constElem(s string) {
	w.elem()
	w.b = append(w.b, '"')
	w.b = append(w.b, s...)
	w.b = append(w.b, '"')
}

func (w *writer) int(k *wkey, v int64) {
	w.key(k)
	w.b = appendInt(w.b, v)
}

func (w *writer) boolTrue(k *wkey) {
	w.key(k)
	w.b = append(w.b, "true"...)
}

// time writes k: ns as RFC 3339 with nanoseconds in UTC.
func (w *writer) time(k *wkey, ns int64) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = appendTimestamp(w.b, ns)
	w.b = append(w.b, '"')
}

// timeText writes k: ns, read from text (nil: none), as time does.
func (w *writer) timeText(k *wkey, ns int64, text []byte) {
	w.key(k)
	w.b = append(w.b, '"')
	if text != nil {
		w.b = appendTimestampText(w.b, text, ns)
	} else {
		w.b = appendTimestamp(w.b, ns)
	}
	w.b = append(w.b, '"')
}

// snapshot and restore let a caller drop a member it has written (a body too
// large to keep).
type snapshot struct{ pos, count int }

func (w *writer) snapshot() snapshot { return snapshot{len(w.b), w.cur} }

func (w *writer) restore(s snapshot) {
	w.b = w.b[:s.pos]
	w.cur = s.count
}
