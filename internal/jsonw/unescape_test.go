package jsonw

import (
	"encoding/json"
	"testing"
)

var unescapeCases = []string{
	``, `plain`, `a\"b\\c\/d\b\f\n\r\t`, `\u00e9\u2028`, `\ud83d\ude00`, `\ud83d`, `\ud83dx`, `\ude00`,
	`\ud83d\u0041`, `\x`, `\u12`, `\u12g4`, `tail\`, "\xff\xfe", `é😀`,
}

// AppendUnescaped decodes what encoding/json decodes, and UnescapedLen is its length.
func TestAppendUnescaped(t *testing.T) {
	for _, s := range unescapeCases {
		got := AppendUnescaped([]byte("pre"), []byte(s))
		if n := UnescapedLen([]byte(s)); n != len(got)-3 {
			t.Errorf("%q: UnescapedLen %d, AppendUnescaped wrote %d", s, n, len(got)-3)
		}
		var want string
		if json.Unmarshal([]byte(`"`+s+`"`), &want) == nil && want != string(got[3:]) && json.Valid([]byte(`"`+s+`"`)) {
			if s != "\xff\xfe" { // encoding/json replaces invalid UTF-8; AppendUnescaped copies it
				t.Errorf("%q: %q, encoding/json %q", s, got[3:], want)
			}
		}
	}
}

func FuzzUnescaped(f *testing.F) {
	for _, s := range unescapeCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := AppendUnescaped(nil, []byte(s))
		if n := UnescapedLen([]byte(s)); n != len(got) {
			t.Fatalf("%q: UnescapedLen %d, AppendUnescaped wrote %d", s, n, len(got))
		}
	})
}
