package jsonskip

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestValue(t *testing.T) {
	for _, c := range []struct {
		in   string
		at   int
		want int
	}{
		{`"abc",`, 0, 5},
		{`"a\"b\\",1`, 0, 8},
		{`{"a":"}","b":[1,{"c":"]"}]},`, 0, 27},
		{`[1,2]}`, 0, 5},
		{`123,`, 0, 3},
		{`true}`, 0, 4},
		{`,`, 0, -1},
		{`"open`, 0, -1},
		{`{"a":1`, 0, -1},
		{``, 0, -1},
		{`x"\\\"`, 1, -1},
	} {
		if got := Value([]byte(c.in), c.at); got != c.want {
			t.Errorf("Value(%q, %d) = %d, want %d", c.in, c.at, got, c.want)
		}
	}
}

// FuzzValue: on a valid JSON object or array, Value ends exactly where the value ends.
func FuzzValue(f *testing.F) {
	for _, s := range []string{`{"a":"b\"}"}`, `[1,"]",{"x":[]}]`, `{"k":"\\"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var v any
		if json.Unmarshal([]byte(s), &v) != nil || len(s) == 0 || (s[0] != '{' && s[0] != '[') {
			return
		}
		end := len(strings.TrimRight(s, " \t\r\n")) // JSON's whitespace after the value
		if got := Value([]byte(s+",tail"), 0); got != end {
			t.Fatalf("Value(%q) = %d, want %d", s, got, end)
		}
	})
}
