package chunk

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/k8saudit/k8saudit/plugin/chunk/chunktest"
	"github.com/tinylib/msgp/msgp"
)

// renderRecord reads a chunk of one entry whose record is the msgpack value v,
// which a record that is not a map renders as is.
func renderRecord(t *testing.T, v []byte) string {
	t.Helper()
	b := msgp.AppendArrayHeader(nil, 2)
	b = msgp.AppendInt(b, 0)
	b = append(b, v...)
	recs := readAll(t, b, "log")
	if len(recs) != 1 || !recs[0].Rendered {
		t.Fatalf("got %+v", recs)
	}
	if !json.Valid([]byte(recs[0].Body)) {
		t.Errorf("invalid JSON: %s", recs[0].Body)
	}
	return recs[0].Body
}

func TestRender(t *testing.T) {
	ext := func(typ int8, data ...byte) []byte {
		return append([]byte{0xc7, byte(len(data)), byte(typ)}, data...)
	}
	m := func(kv ...[]byte) []byte {
		b := msgp.AppendMapHeader(nil, uint32(len(kv)/2))
		for _, p := range kv {
			b = append(b, p...)
		}
		return b
	}
	s := func(v string) []byte { return msgp.AppendString(nil, v) }
	tests := []struct {
		name string
		v    []byte
		want string
	}{
		{"plain", s("hello"), `"hello"`},
		{"empty", s(""), `""`},
		{"escapes", s("q\"b\\s/n\nr\rt\tb\bf\f\x00\x1f\x7f"), `"q\"b\\s/n\nr\rt\tb\u0008f\u000c\u0000\u001f` + "\x7f\""},
		{"invalid UTF-8", s("a\xffb\xc3(c\xe2\x82"), `"a\ufffdb\ufffd(c\ufffd\ufffd"`},
		{"valid multibyte", s("é日本🙂\uFFFD"), "\"é日本🙂\uFFFD\""},
		{"line separators", s("a\u2028b\u2029"), `"a\u2028b\u2029"`},
		{"bin", msgp.AppendBytes(nil, []byte("bin\x01\xff")), `"bin\u0001\ufffd"`},
		{"bin16", chunktest.AppendBin(nil, []byte("x"), chunktest.W16), `"x"`},
		{"str32", chunktest.AppendStr(nil, []byte("x"), chunktest.W32), `"x"`},
		{"fixint", msgp.AppendInt(nil, 127), `127`},
		{"negative fixint", msgp.AppendInt(nil, -32), `-32`},
		{"int64 min", msgp.AppendInt64(nil, math.MinInt64), `-9223372036854775808`},
		{"uint64 max", msgp.AppendUint64(nil, math.MaxUint64), `18446744073709551615`},
		{"uint8", []byte{0xcc, 200}, `200`},
		{"int8", []byte{0xd0, 0x80}, `-128`},
		{"float", msgp.AppendFloat64(nil, 1.5), `1.5`},
		{"float zero", msgp.AppendFloat64(nil, 0), `0`},
		{"negative zero", msgp.AppendFloat64(nil, math.Copysign(0, -1)), `-0`},
		{"float integral", msgp.AppendFloat64(nil, 1e20), `100000000000000000000`},
		{"float large", msgp.AppendFloat64(nil, 1e21), `1e+21`},
		{"float small", msgp.AppendFloat64(nil, 1e-7), `1e-7`},
		{"float max", msgp.AppendFloat64(nil, math.MaxFloat64), `1.7976931348623157e+308`},
		{"float32", msgp.AppendFloat32(nil, 0.1), `0.1`},
		{"float32 small", msgp.AppendFloat32(nil, 1e-7), `1e-7`},
		{"NaN", msgp.AppendFloat64(nil, math.NaN()), `null`},
		{"+Inf", msgp.AppendFloat64(nil, math.Inf(1)), `null`},
		{"-Inf float32", msgp.AppendFloat32(nil, float32(math.Inf(-1))), `null`},
		{"true", msgp.AppendBool(nil, true), `true`},
		{"false", msgp.AppendBool(nil, false), `false`},
		{"nil", msgp.AppendNil(nil), `null`},
		{"EventTime", chunktest.AppendEventTime(nil, testTime, chunktest.EventTime), `1700000000.123456789`},
		{"EventTime trailing zeros", ext(0, 0x65, 0x53, 0xf1, 0x00, 0x05, 0xf5, 0xe1, 0x00), `1700000000.1`},
		{"EventTime whole second", ext(0, 0x65, 0x53, 0xf1, 0x00, 0, 0, 0, 0), `1700000000`},
		{"other extension", ext(5, 1, 2, 3), `null`},
		{"fixext1", []byte{0xd4, 1, 0}, `null`},
		{"empty ext8", ext(7), `null`},
		{"empty array", msgp.AppendArrayHeader(nil, 0), `[]`},
		{"array16", append(chunktest.AppendArrayHeader(nil, 2, chunktest.W16), 0x01, 0xc0), `[1,null]`},
		{"map32", append(chunktest.AppendMapHeader(nil, 1, chunktest.W32), append(s("a"), 0xc3)...), `{"a":true}`},
		{"bin key", m(msgp.AppendBytes(nil, []byte("k")), s("v")), `{"k":"v"}`},
		{"escaped key", m(s("a\"b"), s("v")), `{"a\"b":"v"}`},
		{"int key", m(msgp.AppendInt(nil, -1), s("v")), `{"-1":"v"}`},
		{"nil key", m(msgp.AppendNil(nil), s("v")), `{"null":"v"}`},
		{"float key", m(msgp.AppendFloat64(nil, 2.5), s("v")), `{"2.5":"v"}`},
		{"array key", m(append(msgp.AppendArrayHeader(nil, 2), append(msgp.AppendInt(nil, 1), s("a\\\"")...)...), s("v")),
			`{"[1,\"a\\\\\\\"\"]":"v"}`},
		{"map key in map key", m(m(m(s("x"), s("y")), msgp.AppendInt(nil, 1)), s("v")),
			`{"{\"{\"x\":\"y\"}\":1}":"v"}`},
		{"duplicate keys kept", m(s("a"), s("1"), s("a"), s("2")), `{"a":"1","a":"2"}`},
		{"nested", chunktest.AppendValue(nil, map[string]any{"a": []any{map[string]any{"b": []any{}}, "c"}, "d": map[string]any{}}),
			`{"a":[{"b":[]},"c"],"d":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := renderRecord(t, tt.v); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// Rendering, decoding with encoding/json and comparing to the source value
// checks the escaping against an independent implementation.
func TestRenderRoundTrip(t *testing.T) {
	var all []byte
	for c := 0; c < 256; c++ {
		all = append(all, byte(c))
	}
	values := []string{string(all), "\u2028\u2029\uFFFD", "日本語 \U0001F600", `{"json":"inside"}`}
	for _, v := range values {
		got := renderRecord(t, msgp.AppendString(nil, v))
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Fatal(err)
		}
		// encoding/json's own encoder applies the same U+FFFD replacement.
		want, _ := json.Marshal(v)
		var wantBack string
		_ = json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Errorf("round trip of %q gave %q, want %q", v, back, wantBack)
		}
	}
}

func TestQuoteInPlace(t *testing.T) {
	for _, tt := range []struct{ prefix, in, want string }{
		{"", `1`, `"1"`},
		{"xx", `[1,"a\"b"]`, `xx"[1,\"a\\\"b\"]"`},
		{"", `""`, `"\"\""`},
	} {
		b := append([]byte(tt.prefix), tt.in...)
		if got := string(quoteInPlace(b, len(tt.prefix))); got != tt.want {
			t.Errorf("quoteInPlace(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// Keys nested in keys once rendered with backslashes doubling per level:
// 40 bytes of input took seconds and gigabytes (found by FuzzReader).
func TestNestedKeysRenderLinear(t *testing.T) {
	b := []byte{0x92, 0x00}
	for range MaxDepth - 1 {
		b = append(b, 0x81) // a map whose only key is a map...
	}
	for range MaxDepth {
		b = append(b, 0xc0)
	}
	recs := readAll(t, b, "log")
	if len(recs) != 1 || len(recs[0].Body) > 10*len(b) {
		t.Fatalf("body of %d bytes from %d bytes of input", len(recs[0].Body), len(b))
	}
	if !json.Valid([]byte(recs[0].Body)) {
		t.Errorf("invalid JSON %s", recs[0].Body)
	}
}
