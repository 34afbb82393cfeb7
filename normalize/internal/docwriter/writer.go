// Package docwriter writes the normalizer's documents: one compact JSON object
// at a time, appended to a reused buffer, with the comma bookkeeping and the
// rollback that make "leave out empty values" cheap: an object or array that
// ends up with no members disappears together with its key. It never
// allocates except to grow its buffers, and it always produces valid JSON:
// strings are escaped by internal/jsonw, the escaper every package shares (its
// package doc states the rule); constant keys are checked once, when made.
//
// The ECS mapping and format raw (package normalize) decide what to write;
// this package only writes it.
package docwriter

import (
	"strconv"

	"github.com/k8saudit/k8saudit/internal/jsonw"
	"github.com/k8saudit/k8saudit/normalize/internal/timestamp"
)

// Writer builds one JSON object with comma bookkeeping and rollback, so that
// an object or array that ends up with no members disappears together with
// its key ("leave out empty values").
type Writer struct {
	B     []byte // the document(s) written so far; the caller owns and resets it
	d     int
	cur   int   // members written at the current level
	count []int // members written at each enclosing level, saved by Push
	mark  []int // len(B) before the key of the container at each level
}

// Begin starts the top-level object.
func (w *Writer) Begin() {
	w.d = 0
	if len(w.count) == 0 {
		// Grown once, on demand, up to the deepest nesting seen; copied
		// values are bounded by fastjson's MaxDepth.
		w.count = make([]int, 16)
		w.mark = make([]int, 16)
	}
	w.cur = 0
	w.mark[0] = len(w.B)
	w.B = append(w.B, '{')
}

// End closes the top-level object.
func (w *Writer) End() { w.B = append(w.B, '}') }

// sep writes the comma before a member when one is needed and counts it.
func (w *Writer) sep() {
	if w.cur > 0 {
		w.B = append(w.B, ',')
	}
	w.cur++
}

// Key is a constant key as the Writer writes it, `"k":`, in a fixed block.
// Keys are the Writer's most frequent copy (some 60 a document): a block
// of fixed size moves as two 16-byte words, with no branch on its length,
// in a key small enough to be inlined; an append of the string was a call
// to memmove each.
type Key struct {
	text [32]byte
	n    int // the length of `"k":` in text
}

// NewKey makes the Writer's key for k, a constant that needs no escaping.
func NewKey(k string) *Key {
	if len(k)+3 > len(Key{}.text) || len(jsonw.AppendEscapedString(nil, k)) != len(k) {
		panic("docwriter: key unfit for the Writer: " + k)
	}
	w := &Key{n: len(k) + 3}
	w.text[0] = '"'
	copy(w.text[1:], k)
	w.text[1+len(k)], w.text[2+len(k)] = '"', ':'
	return w
}

// Key writes a constant key, with its comma when one is needed: the comma
// is always stored and the key written over it when none is needed. The
// buffer grows by an append (a call would make Key too big to inline).
func (w *Writer) Key(k *Key) {
	l := len(w.B)
	if l+33 > cap(w.B) {
		w.B = append(w.B, keyRoom[:]...)[:l]
	}
	o := min(w.cur, 1)
	w.cur++
	w.B = w.B[:l+o+k.n]
	w.B[l] = ','
	*(*[32]byte)(w.B[l+o : l+o+32]) = k.text
}

// keyRoom is what Key appends, and takes back, to grow the buffer.
var keyRoom [33]byte

// KeyBytes writes a key taken from input, escaped.
func (w *Writer) KeyBytes(k []byte) {
	w.sep()
	w.B = jsonw.AppendQuoted(w.B, k)
	w.B = append(w.B, ':')
}

// Elem starts an array element.
func (w *Writer) Elem() { w.sep() }

// Push opens a container with open ('{' or '['), whose key the caller has
// written from markPos on: Pop removes both when the container stays empty.
func (w *Writer) Push(open byte, markPos int) {
	w.count[w.d] = w.cur
	w.d++
	if w.d == len(w.count) {
		w.count = append(w.count, 0)
		w.mark = append(w.mark, 0)
	}
	w.cur = 0
	w.mark[w.d] = markPos
	w.B = append(w.B, open)
}

// Open starts an object member named k; Close removes it again if it stayed empty.
func (w *Writer) Open(k *Key) {
	m := len(w.B)
	w.Key(k)
	w.Push('{', m)
}

// OpenArr starts an array member named k.
func (w *Writer) OpenArr(k *Key) {
	m := len(w.B)
	w.Key(k)
	w.Push('[', m)
}

// Close ends the current object (or array, with CloseArr); when nothing was
// written inside it, the key and the opener are removed.
func (w *Writer) Close() { w.Pop('}') }

func (w *Writer) CloseArr() { w.Pop(']') }

// Pop closes the current container with c, or removes it and its key when
// nothing was written inside it.
func (w *Writer) Pop(c byte) {
	if w.cur == 0 {
		w.B = w.B[:w.mark[w.d]]
		w.d--
		w.cur = w.count[w.d] - 1
		return
	}
	w.B = append(w.B, c)
	w.d--
	w.cur = w.count[w.d]
}

// Str writes k: s, left out when s is empty.
func (w *Writer) Str(k *Key, s []byte) {
	if len(s) == 0 {
		return
	}
	w.Key(k)
	w.B = jsonw.AppendQuoted(w.B, s)
}

// StrAs is Str for a value known to need no escaping when plain.
func (w *Writer) StrAs(k *Key, s []byte, plain bool) {
	if !plain {
		w.Str(k, s)
		return
	}
	if len(s) == 0 {
		return
	}
	w.Key(k)
	w.B = append(w.B, '"')
	w.B = append(w.B, s...)
	w.B = append(w.B, '"')
}

// Members writes count constant members given as their text.
func (w *Writer) Members(text string, count int) {
	w.sep()
	w.B = append(w.B, text...)
	w.cur += count - 1
}

// StrConst writes k: s for a constant s that needs no escaping.
func (w *Writer) StrConst(k *Key, s string) {
	w.Key(k)
	w.B = append(w.B, '"')
	w.B = append(w.B, s...)
	w.B = append(w.B, '"')
}

// StrElem writes an array element, left out when empty.
func (w *Writer) StrElem(s []byte) {
	if len(s) == 0 {
		return
	}
	w.Elem()
	w.B = jsonw.AppendQuoted(w.B, s)
}

// PlainElem writes an array element known to need no escaping, left out
// when empty.
func (w *Writer) PlainElem(s []byte) {
	if len(s) == 0 {
		return
	}
	w.Elem()
	w.B = append(w.B, '"')
	w.B = append(w.B, s...)
	w.B = append(w.B, '"')
}

// ConstElem writes a constant array element.
func (w *Writer) ConstElem(s string) {
	w.Elem()
	w.B = append(w.B, '"')
	w.B = append(w.B, s...)
	w.B = append(w.B, '"')
}

// Int writes k: v.
func (w *Writer) Int(k *Key, v int64) {
	w.Key(k)
	w.B = strconv.AppendInt(w.B, v, 10)
}

// BoolTrue writes k: true.
func (w *Writer) BoolTrue(k *Key) {
	w.Key(k)
	w.B = append(w.B, "true"...)
}

// Time writes k: ns as RFC 3339 with nanoseconds in UTC.
func (w *Writer) Time(k *Key, ns int64) {
	w.Key(k)
	w.B = append(w.B, '"')
	w.B = timestamp.Append(w.B, ns)
	w.B = append(w.B, '"')
}

// TimeText writes k: ns, read from text (nil: none), as Time does.
func (w *Writer) TimeText(k *Key, ns int64, text []byte) {
	w.Key(k)
	w.B = append(w.B, '"')
	if text != nil {
		w.B = timestamp.AppendText(w.B, text, ns)
	} else {
		w.B = timestamp.Append(w.B, ns)
	}
	w.B = append(w.B, '"')
}

// Snapshot and Restore let a caller drop a member it has written (a body too
// large to keep).
type Snapshot struct{ pos, count int }

// Snapshot is the writer's position, for Restore.
func (w *Writer) Snapshot() Snapshot { return Snapshot{len(w.B), w.cur} }

// Since is the number of bytes written after s was taken.
func (w *Writer) Since(s Snapshot) int { return len(w.B) - s.pos }

// Restore takes the writer back to s: what was written after it is gone.
func (w *Writer) Restore(s Snapshot) {
	w.B = w.B[:s.pos]
	w.cur = s.count
}

// Count is the number of members written at the current level.
func (w *Writer) Count() int { return w.cur }

// Member writes the key k, or kb taken from input (escaped), or for an array
// element (both nil) the separator.
func (w *Writer) Member(k *Key, kb []byte) {
	switch {
	case k != nil:
		w.Key(k)
	case kb != nil:
		w.KeyBytes(kb)
	default:
		w.Elem()
	}
}
