package normalize

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAppendEscaped(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", `""`},
		{"plain ascii text that is long", `"plain ascii text that is long"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"tab\tnl\ncr\r", `"tab\tnl\ncr\r"`},
		{"\x00\x1f\x7f", `"\u0000\u001f` + "\x7f" + `"`},
		{"héllo wörld ✓ 𝄞", `"héllo wörld ✓ 𝄞"`},
		{"bad\xffbyte\xc3", `"bad\ufffdbyte\ufffd"`},
		{"<>&", `"<>&"`},
		{"12345678\"12345678\\", `"12345678\"12345678\\"`},
		{strings.Repeat("x", 17) + "\x01", `"` + strings.Repeat("x", 17) + `\u0001"`},
	} {
		got := string(appendQuoted(nil, []byte(c.in)))
		if got != c.want {
			t.Errorf("%q: got %s want %s", c.in, got, c.want)
		}
		if !json.Valid([]byte(got)) {
			t.Errorf("%q: invalid JSON %s", c.in, got)
		}
	}
}

// TestNextSpecial checks the SWAR search against the byte-wise rule for
// every byte value in every lane, with and without a second special byte
// after it (a zero-byte test may flag bytes above a true match, never below).
func TestNextSpecial(t *testing.T) {
	special := func(c byte) bool { return c < 0x20 || c >= 0x80 || c == '"' || c == '\\' }
	for lane := 0; lane < 16; lane++ {
		for c := 0; c < 256; c++ {
			for _, second := range []byte{'a', 0, '"', '\\', 0xff} {
				b := []byte("aaaaaaaaaaaaaaaaaaaa")
				b[lane] = byte(c)
				b[lane+1] = second
				want := len(b)
				for i := range b {
					if special(b[i]) {
						want = i
						break
					}
				}
				if got := nextSpecial(b, 0); got != want {
					t.Fatalf("lane %d byte %#x then %#x: %d, want %d", lane, c, second, got, want)
				}
			}
		}
	}
}

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
