package jsonw

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppendQuoted(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"plain", "hello", `"hello"`},
		{"empty", "", `""`},
		{"quote and backslash", `a"b\c`, `"a\"b\\c"`},
		{"short escapes", "n\nr\rt\t", `"n\nr\rt\t"`},
		{"other controls", "\x00\b\f\x1f", `"\u0000\u0008\u000c\u001f"`},
		{"DEL and slash as they are", "\x7f/", "\"\x7f/\""},
		{"invalid UTF-8, a \\ufffd a byte", "a\xffb\xc3(c\xe2\x82", `"a\ufffdb\ufffd(c\ufffd\ufffd"`},
		{"surrogate encoded", "\xed\xa0\x80", `"\ufffd\ufffd\ufffd"`},
		{"valid multibyte", "é日本🙂\uFFFD", "\"é日本🙂\uFFFD\""},
		{"line separators", "a\u2028b\u2029", `"a\u2028b\u2029"`},
		{"HTML as it is", "<>&", `"<>&"`},
		{"specials in both words", "12345678\"12345678\\", `"12345678\"12345678\\"`},
		{"control after 17 bytes", strings.Repeat("x", 17) + "\x01", `"` + strings.Repeat("x", 17) + `\u0001"`},
		{"long plain then special", strings.Repeat("x", 40) + "\"" + strings.Repeat("y", 17), `"` + strings.Repeat("x", 40) + `\"` + strings.Repeat("y", 17) + `"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(AppendQuoted([]byte("pre"), []byte(tt.in))); got != "pre"+tt.want {
				t.Errorf("AppendQuoted(%q) = %s, want %s", tt.in, got, tt.want)
			}
			if got := string(AppendQuotedString(nil, tt.in)); got != tt.want {
				t.Errorf("AppendQuotedString(%q) = %s, want %s", tt.in, got, tt.want)
			}
			if got := QuotedLen([]byte(tt.in)); got != len(tt.want) {
				t.Errorf("QuotedLen(%q) = %d, want %d", tt.in, got, len(tt.want))
			}
		})
	}
}

// checkRule holds one input to the rule, against encoding/json as the independent judge.
func checkRule(t *testing.T, in []byte) {
	out := AppendQuoted(nil, in)
	if !json.Valid(out) {
		t.Fatalf("%q: invalid JSON %q", in, out)
	}
	var back string
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("%q: %v", in, err)
	}
	// encoding/json's encoder replaces invalid UTF-8 the same way, so its round trip
	// is the value the escaper must keep.
	want, _ := json.Marshal(string(in))
	var wantBack string
	if err := json.Unmarshal(want, &wantBack); err != nil {
		t.Fatal(err)
	}
	if back != wantBack {
		t.Fatalf("%q: decodes to %q, want %q", in, back, wantBack)
	}
	if QuotedLen(in) != len(out) {
		t.Fatalf("%q: QuotedLen %d, wrote %d", in, QuotedLen(in), len(out))
	}
	// What the rule promises beyond JSON: the output is valid UTF-8 with no raw control
	// character and no raw line or paragraph separator.
	if !utf8.Valid(out) {
		t.Fatalf("%q: output not UTF-8: %q", in, out)
	}
	for _, r := range string(out) {
		if r < 0x20 || r == '\u2028' || r == '\u2029' {
			t.Fatalf("%q: raw %U in %q", in, r, out)
		}
	}
}

func TestRuleAgainstEncodingJSON(t *testing.T) {
	var all []byte
	for c := 0; c < 256; c++ {
		all = append(all, byte(c))
	}
	for _, in := range []string{string(all), "\u2028\u2029\uFFFD", "日本語 \U0001F600", `{"json":"inside"}`, "\xe2\x80", "\xf4\x90\x80\x80"} {
		checkRule(t, []byte(in))
	}
}

func FuzzAppendQuoted(f *testing.F) {
	for _, s := range []string{"", "plain", "a\"b\\c\n", "\x00\x1f\x7f", "\xff\xfe", "\u2028\u2029", "é日本🙂", strings.Repeat("ab\"", 20)} {
		f.Add([]byte(s))
	}
	f.Fuzz(checkRule)
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
				if got := NextSpecial(b, 0); got != want {
					t.Fatalf("lane %d byte %#x then %#x: %d, want %d", lane, c, second, got, want)
				}
			}
		}
	}
}

func TestZeroAllocs(t *testing.T) {
	in := []byte(strings.Repeat("plain text \"q\" \x01 é \xff \u2028 ", 20))
	dst := make([]byte, 0, 4096)
	if a := testing.AllocsPerRun(100, func() {
		dst = AppendQuoted(dst[:0], in)
		_ = QuotedLen(in)
		dst = AppendQuotedString(dst, "reason: \"x\"")
	}); a != 0 {
		t.Errorf("%v allocations a run, want 0", a)
	}
}
