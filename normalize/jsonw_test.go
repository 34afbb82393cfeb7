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

// TestPlain8 checks the SWAR test against the byte-wise rule for every byte
// value in every lane.
func TestPlain8(t *testing.T) {
	for lane := 0; lane < 8; lane++ {
		for c := 0; c < 256; c++ {
			var b [8]byte
			for i := range b {
				b[i] = 'a'
			}
			b[lane] = byte(c)
			x := uint64(0)
			for i := 7; i >= 0; i-- {
				x = x<<8 | uint64(b[i])
			}
			want := c >= 0x20 && c < 0x80 && c != '"' && c != '\\'
			if got := plain8(x); got != want {
				t.Fatalf("lane %d byte %#x: plain8 = %v", lane, c, got)
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
	w.str("a", nil)
	w.open("o")
	w.open("inner")
	w.str("x", nil)
	w.close()
	w.close()
	w.openArr("arr")
	w.strElem(nil)
	w.closeArr()
	w.str("b", []byte("v"))
	w.open("p")
	w.str("c", []byte("w"))
	w.close()
	w.end()
	if got, want := string(w.b), `{"b":"v","p":{"c":"w"}}`; got != want {
		t.Fatalf("got %s want %s", got, want)
	}
}
