package normalize

import "testing"

func TestValidNumber(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "-0": true, "12": true, "1.5": true, "1e5": true, "-1.5E-3": true,
		"": false, "-": false, "01": false, "1.": false, ".5": false, "1e": false,
		"NaN": false, "inf": false, "+1": false, "1.2.3": false, "--1": false,
	} {
		if got := validNumber([]byte(s)); got != want {
			t.Errorf("%q: %v", s, got)
		}
	}
}

func TestWriterOmitsEmpty(t *testing.T) {
	var w writer
	w.begin()
	w.str(kA, nil)
	w.open(kO)
	w.open(kInner)
	w.str(kX, nil)
	w.close()
	w.close()
	w.openArr(kArr)
	w.strElem(nil)
	w.closeArr()
	w.str(kB, []byte("v"))
	w.open(kP)
	w.str(kC, []byte("w"))
	w.close()
	w.end()
	if got, want := string(w.b), `{"b":"v","p":{"c":"w"}}`; got != want {
		t.Fatalf("got %s want %s", got, want)
	}
}

// Keys of the writer tests.
var (
	kA     = newKey("a")
	kArr   = newKey("arr")
	kB     = newKey("b")
	kC     = newKey("c")
	kInner = newKey("inner")
	kO     = newKey("o")
	kP     = newKey("p")
	kX     = newKey("x")
)

// TestNewKeyRefusesUnfitKeys: a key too long for the block, or one that
// would need escaping, is a programming error caught at start-up.
func TestNewKeyRefusesUnfitKeys(t *testing.T) {
	for _, k := range []string{"a-key-of-thirty-bytes-too-long", `quo"te`, "back\\slash", "ctl\n"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("newKey(%q) did not panic", k)
				}
			}()
			newKey(k)
		}()
	}
	if k := newKey("a-key-of-29-bytes-fits-here.."); string(k.text[:k.n]) != `"a-key-of-29-bytes-fits-here..":` {
		t.Errorf("29-byte key: %q", k.text[:k.n])
	}
}
