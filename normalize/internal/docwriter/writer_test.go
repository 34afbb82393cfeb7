package docwriter

import "testing"

func TestWriterOmitsEmpty(t *testing.T) {
	var w Writer
	w.Begin()
	w.Str(kA, nil)
	w.Open(kO)
	w.Open(kInner)
	w.Str(kX, nil)
	w.Close()
	w.Close()
	w.OpenArr(kArr)
	w.StrElem(nil)
	w.CloseArr()
	w.Str(kB, []byte("v"))
	w.Open(kP)
	w.Str(kC, []byte("w"))
	w.Close()
	w.End()
	if got, want := string(w.B), `{"b":"v","p":{"c":"w"}}`; got != want {
		t.Fatalf("got %s want %s", got, want)
	}
}

// Keys of the writer tests.
var (
	kA     = NewKey("a")
	kArr   = NewKey("arr")
	kB     = NewKey("b")
	kC     = NewKey("c")
	kInner = NewKey("inner")
	kO     = NewKey("o")
	kP     = NewKey("p")
	kX     = NewKey("x")
)

// TestNewKeyRefusesUnfitKeys: a key too long for the block, or one that
// would need escaping, is a programming error caught at start-up.
func TestNewKeyRefusesUnfitKeys(t *testing.T) {
	for _, k := range []string{"a-key-of-thirty-bytes-too-long", `quo"te`, "back\\slash", "ctl\n"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewKey(%q) did not panic", k)
				}
			}()
			NewKey(k)
		}()
	}
	if k := NewKey("a-key-of-29-bytes-fits-here.."); string(k.text[:k.n]) != `"a-key-of-29-bytes-fits-here..":` {
		t.Errorf("29-byte key: %q", k.text[:k.n])
	}
}
