package chunk

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/k8saudit/k8saudit/plugin/chunk/chunktest"
	"github.com/tinylib/msgp/msgp"
)

var testTime = time.Unix(1700000000, 123456789)

func TestTimestampForms(t *testing.T) {
	exact := testTime.UnixNano()
	seconds := testTime.Unix() * 1e9
	tests := []struct {
		form chunktest.TimeForm
		want int64
		tol  int64 // float forms lose precision
	}{
		{chunktest.EventTime, exact, 0},
		{chunktest.EventTimeExt8, exact, 0},
		{chunktest.EventTimeExt32, exact, 0},
		{chunktest.IntSeconds, seconds, 0},
		{chunktest.Uint64Seconds, seconds, 0},
		{chunktest.Float64Seconds, exact, 1000},
		{chunktest.Float32Seconds, exact, 128e9}, // float32 has 24 bits of mantissa
		{chunktest.NilTime, 0, 0},
	}
	for _, v1 := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("v1=%v/form=%d", v1, tt.form), func(t *testing.T) {
				o := chunktest.Options{V1: v1, Time: tt.form}
				recs := readAll(t, chunktest.Entries([]map[string]any{{"log": "x"}}, testTime, o), "log")
				if len(recs) != 1 || recs[0].Body != "x" {
					t.Fatalf("got %+v", recs)
				}
				if d := recs[0].Time - tt.want; d > tt.tol || d < -tt.tol {
					t.Errorf("Time = %d, want %d ± %d", recs[0].Time, tt.want, tt.tol)
				}
			})
		}
	}
}

// Timestamps the reader can walk but not use give Time 0, not an error.
func TestTimestampUnusable(t *testing.T) {
	tests := []struct {
		name string
		ts   []byte
		want int64
	}{
		{"negative int", msgp.AppendInt64(nil, -5), -5e9},
		{"negative float", msgp.AppendFloat64(nil, -1.5), -1.5e9},
		{"int beyond int64 ns", msgp.AppendInt64(nil, 1e12), 0},
		{"uint64 max", msgp.AppendUint64(nil, math.MaxUint64), 0},
		{"float beyond int64 ns", msgp.AppendFloat64(nil, 1e300), 0},
		{"NaN", msgp.AppendFloat64(nil, math.NaN()), 0},
		{"+Inf", msgp.AppendFloat64(nil, math.Inf(1)), 0},
		{"string", msgp.AppendString(nil, "2024-01-01T00:00:00Z"), 0},
		{"map", msgp.AppendMapHeader(nil, 0), 0},
		{"ext type 1", []byte{0xd7, 1, 0, 0, 0, 1, 0, 0, 0, 1}, 0},
		{"ext type 0 of 4 bytes", []byte{0xd6, 0, 0, 0, 0, 1}, 0},
		{"msgpack timestamp ext -1", []byte{0xd6, 0xff, 0, 0, 0, 1}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, v1 := range []bool{false, true} {
				b := msgp.AppendArrayHeader(nil, 2)
				if !v1 {
					b = msgp.AppendArrayHeader(b, 2)
				}
				b = append(b, tt.ts...)
				if !v1 {
					b = msgp.AppendMapHeader(b, 0)
				}
				b = chunktest.AppendValue(b, map[string]any{"log": "x"})
				recs := readAll(t, b, "log")
				if len(recs) != 1 || recs[0].Body != "x" || recs[0].Time != tt.want {
					t.Errorf("v1=%v: got %+v, want Time %d", v1, recs, tt.want)
				}
			}
		})
	}
}

func TestHeaderWidths(t *testing.T) {
	line := []byte(`{"kind":"Event","verb":"get"}`)
	widths := []chunktest.Width{chunktest.Auto, chunktest.Fix, chunktest.W8, chunktest.W16, chunktest.W32}
	for _, w := range widths {
		for _, sw := range widths {
			for _, bin := range []bool{false, true} {
				t.Run(fmt.Sprintf("width=%d/str=%d/bin=%v", w, sw, bin), func(t *testing.T) {
					var val any = string(line)
					if bin {
						val = line
					}
					o := chunktest.Options{Width: w, StrWidth: sw, Metadata: map[string]any{"k": "v"}}
					recs := readAll(t, chunktest.Entries([]map[string]any{{"log": val, "other": "y"}, {"log": val}}, testTime, o), "log")
					if len(recs) != 2 {
						t.Fatalf("got %d records", len(recs))
					}
					for _, rec := range recs {
						if rec.Body != string(line) || rec.Rendered || rec.Time != testTime.UnixNano() {
							t.Errorf("got %+v", rec)
						}
					}
				})
			}
		}
	}
}

func TestRawLinesHelpers(t *testing.T) {
	lines := [][]byte{[]byte("one"), []byte(""), []byte("three \xff")}
	for name, chunk := range map[string][]byte{
		"v2": chunktest.RawLines(lines, "log", testTime),
		"v1": chunktest.V1RawLines(lines, "log", testTime),
	} {
		recs := readAll(t, chunk, "log")
		if len(recs) != len(lines) {
			t.Fatalf("%s: got %d records", name, len(recs))
		}
		for i, rec := range recs {
			if rec.Body != string(lines[i]) || rec.Rendered || rec.Time != testTime.UnixNano() {
				t.Errorf("%s record %d: got %+v", name, i, rec)
			}
		}
	}
}

func TestBodySelection(t *testing.T) {
	tests := []struct {
		name     string
		key      string
		record   any
		body     string
		rendered bool
	}{
		{"exact str", "log", map[string]any{"log": "line", "message": "m"}, "line", false},
		{"exact bin", "log", map[string]any{"log": []byte("line\x00")}, "line\x00", false},
		{"case-insensitive", "log", map[string]any{"LOG": "line", "message": "m"}, "line", false},
		{"exact beats case-insensitive", "log", map[string]any{"Log": "fold", "log": "exact"}, "exact", false},
		{"exact beats case-insensitive, other order", "Log", map[string]any{"Log": "exact", "log": "fold"}, "exact", false},
		{"source key beats message", "log", map[string]any{"Log": "line", "message": "m"}, "line", false},
		{"message fallback", "log", map[string]any{"message": "m", "x": 1}, "m", false},
		{"Message fallback", "log", map[string]any{"MESSAGE": "m", "x": 1}, "m", false},
		{"message beats Message", "log", map[string]any{"MESSAGE": "M", "message": "m"}, "m", false},
		{"empty key uses message", "", map[string]any{"": "empty", "message": "m"}, "m", false},
		{"empty string value", "log", map[string]any{"log": ""}, "", false},
		{"map value rendered", "log", map[string]any{"log": map[string]any{"a": 1}, "x": 2}, `{"a":1}`, true},
		{"array value rendered", "log", map[string]any{"log": []any{"a", 1}}, `["a",1]`, true},
		{"scalar value: whole map", "log", map[string]any{"log": 5, "message": "m"}, `{"log":5,"message":"m"}`, true},
		{"nil value: whole map", "log", map[string]any{"log": nil}, `{"log":null}`, true},
		{"missing: whole map", "log", map[string]any{"kind": "Event", "code": 200}, `{"code":200,"kind":"Event"}`, true},
		{"empty map", "log", map[string]any{}, `{}`, true},
		{"record is a string", "log", "just a string", `"just a string"`, true},
		{"record is an array", "log", []any{1, "a"}, `[1,"a"]`, true},
		{"record is nil", "log", nil, `null`, true},
		{"non-string key skipped in lookup", "log", chunktest.Raw(append(
			msgp.AppendInt(msgp.AppendMapHeader(nil, 2), 1), append(msgp.AppendString(nil, "x"),
				chunktest.AppendValue(msgp.AppendString(nil, "log"), "line")...)...)), "line", false},
		{"unknown key and non-string key rendered", "log", chunktest.Raw(append(
			msgp.AppendInt(msgp.AppendMapHeader(nil, 1), 1), msgp.AppendString(nil, "x")...)), `{"1":"x"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := msgp.AppendArrayHeader(nil, 2)
			b = msgp.AppendArrayHeader(b, 2)
			b = chunktest.AppendEventTime(b, testTime, chunktest.EventTime)
			b = msgp.AppendMapHeader(b, 0)
			b = chunktest.AppendValue(b, tt.record)
			recs := readAll(t, b, tt.key)
			if len(recs) != 1 {
				t.Fatalf("got %d records", len(recs))
			}
			if recs[0].Body != tt.body || recs[0].Rendered != tt.rendered {
				t.Errorf("got body %q rendered %v, want %q %v", recs[0].Body, recs[0].Rendered, tt.body, tt.rendered)
			}
		})
	}
}

func TestEntryShapes(t *testing.T) {
	rec := chunktest.AppendValue(nil, map[string]any{"log": "x"})
	ts := chunktest.AppendEventTime(nil, testTime, chunktest.EventTime)
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	arr := func(n uint32) []byte { return msgp.AppendArrayHeader(nil, n) }
	tests := []struct {
		name  string
		chunk []byte
		time  int64
	}{
		{"extra element after record", cat(arr(3), arr(2), ts, arr(0), rec, msgp.AppendString(nil, "extra")), testTime.UnixNano()},
		{"v2 header with extra element", cat(arr(2), arr(3), ts, arr(0), msgp.AppendInt(nil, 1), rec), testTime.UnixNano()},
		{"v2 header with only a timestamp", cat(arr(2), arr(1), ts, rec), testTime.UnixNano()},
		{"v2 header empty", cat(arr(2), arr(0), rec), 0},
		{"v2 metadata with nested values", cat(arr(2), arr(2), ts,
			chunktest.AppendValue(nil, map[string]any{"a": []any{map[string]any{"b": nil}}}), rec), testTime.UnixNano()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := readAll(t, append(tt.chunk, tt.chunk...), "log")
			if len(recs) != 2 {
				t.Fatalf("got %d records", len(recs))
			}
			for _, r := range recs {
				if r.Body != "x" || r.Time != tt.time {
					t.Errorf("got %+v", r)
				}
			}
		})
	}
}

func TestMixedV1V2(t *testing.T) {
	lines := [][]byte{[]byte("a"), []byte("b")}
	chunk := append(chunktest.RawLines(lines, "log", testTime), chunktest.V1RawLines(lines, "log", testTime)...)
	recs := readAll(t, chunk, "log")
	if len(recs) != 4 || recs[0].Body != "a" || recs[3].Body != "b" {
		t.Errorf("got %+v", recs)
	}
}

func TestEmpty(t *testing.T) {
	var r Reader
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("zero Reader: got %v, want io.EOF", err)
	}
	r.Reset(nil, "log")
	for range 3 {
		if _, err := r.Next(); err != io.EOF {
			t.Errorf("empty chunk: got %v, want io.EOF", err)
		}
	}
	r.Reset([]byte{}, "log")
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("empty chunk: got %v, want io.EOF", err)
	}
}

func TestMalformed(t *testing.T) {
	good := chunktest.RawLines([][]byte{[]byte("line")}, "log", testTime)
	entry := func(record []byte) []byte {
		b := msgp.AppendArrayHeader(nil, 2)
		b = msgp.AppendArrayHeader(b, 2)
		b = chunktest.AppendEventTime(b, testTime, chunktest.EventTime)
		b = msgp.AppendMapHeader(b, 0)
		return append(b, record...)
	}
	logMap := func(value []byte) []byte {
		return append(msgp.AppendString(msgp.AppendMapHeader(nil, 1), "log"), value...)
	}
	tests := []struct {
		name   string
		chunk  []byte
		offset int    // of the error
		reason string // part of it
	}{
		{"invalid byte", []byte{0xc1}, 0, "not an array"},
		{"entry is an int", []byte{0x01}, 0, "not an array"},
		{"entry is a map", msgp.AppendMapHeader(nil, 0), 0, "not an array"},
		{"entry of one element", []byte{0x91, 0x01}, 0, "fewer than 2"},
		{"entry of zero elements", []byte{0x90}, 0, "fewer than 2"},
		{"array32 claims 4G elements", []byte{0xdd, 0xff, 0xff, 0xff, 0xff, 0x92, 0x01}, 0, ""},
		{"garbage after a good entry", append(append([]byte{}, good...), 0xc1), len(good), "not an array"},
		{"invalid byte inside the record", entry([]byte{0x81, 0xa3, 'l', 'o', 'g', 0xc1}), 0, "invalid type byte 0xc1"},
		{"truncated str", entry([]byte{0x81, 0xa3, 'l', 'o', 'g', 0xa5, 'a'}), 0, ""},
		{"map claims 4G entries", entry([]byte{0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0}), 0, "more elements than bytes"},
		{"rendered map claims too much", entry(logMap([]byte{0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0})), 0, ""},
		{"ext32 claims 4 GB", entry(logMap([]byte{0xc9, 0xff, 0xff, 0xff, 0xff, 0x00})), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Reader
			r.Reset(tt.chunk, "log")
			var err error
			for range 10 {
				if _, err = r.Next(); err != nil {
					break
				}
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a *FormatError", err)
			}
			if fe.Offset < tt.offset || fe.Offset > len(tt.chunk) {
				t.Errorf("Offset %d, want in [%d, %d]", fe.Offset, tt.offset, len(tt.chunk))
			}
			if !strings.Contains(fe.Error(), tt.reason) {
				t.Errorf("error %q does not mention %q", fe, tt.reason)
			}
			for range 3 {
				if _, again := r.Next(); again != err {
					t.Fatalf("error not sticky: got %v after %v", again, err)
				}
			}
			r.Reset(good, "log")
			if recs, err := readAllErr(good, "log"); err != nil || len(recs) != 1 {
				t.Errorf("Reset did not clear the error: %v", err)
			}
		})
	}
}

func TestDepthLimitBoundary(t *testing.T) {
	var v []byte
	for range MaxDepth - 1 { // the record map is one level too
		v = msgp.AppendArrayHeader(v, 1)
	}
	v = msgp.AppendInt(v, 7)
	b := msgp.AppendArrayHeader(nil, 2)
	b = msgp.AppendInt(b, 0)
	b = msgp.AppendMapHeader(b, 1)
	b = msgp.AppendString(b, "k")
	b = append(b, v...)
	recs := readAll(t, b, "log")
	want := "{\"k\":" + strings.Repeat("[", MaxDepth-1) + "7" + strings.Repeat("]", MaxDepth-1) + "}"
	if len(recs) != 1 || recs[0].Body != want {
		t.Errorf("got %+v", recs)
	}
}

// Values that are skipped, not rendered, have no depth limit and must not
// recurse: a million nested arrays beside the log line.
func TestDeepSkippedValue(t *testing.T) {
	b := msgp.AppendArrayHeader(nil, 2)
	b = msgp.AppendInt(b, 0)
	b = msgp.AppendMapHeader(b, 2)
	b = msgp.AppendString(b, "deep")
	for range 1_000_000 {
		b = append(b, 0x91)
	}
	b = append(b, 0xc0)
	b = msgp.AppendString(b, "log")
	b = msgp.AppendString(b, "line")
	recs := readAll(t, b, "log")
	if len(recs) != 1 || recs[0].Body != "line" {
		t.Errorf("got %+v", recs)
	}
}

func TestFormatErrorFields(t *testing.T) {
	good := chunktest.RawLines([][]byte{[]byte("a"), []byte("b")}, "log", testTime)
	bad := append(append([]byte{}, good...), 0x92, 0x00, 0xc1)
	var r Reader
	r.Reset(bad, "log")
	for range 2 {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	if r.Offset() != len(good) {
		t.Errorf("Offset() = %d, want %d", r.Offset(), len(good))
	}
	_, err := r.Next()
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v", err)
	}
	if fe.Entry != 2 || fe.Offset != len(good)+2 {
		t.Errorf("got Entry %d Offset %d, want 2 and %d", fe.Entry, fe.Offset, len(good)+2)
	}
}

// Every strict prefix of a valid chunk yields the complete entries before the
// cut, then io.EOF when the cut falls between entries and a FormatError
// pointing inside the cut entry otherwise.
func TestTruncatedEverywhere(t *testing.T) {
	records := []map[string]any{
		{"log": "first line"},
		{"kind": "Event", "n": 1.5, "list": []any{int64(-1), uint64(math.MaxUint64), true, nil, []byte("bin")}},
		{"log": map[string]any{"nested": "map"}},
	}
	for _, o := range []chunktest.Options{
		{},
		{V1: true, Time: chunktest.Float64Seconds},
		{Width: chunktest.W32, StrWidth: chunktest.W32, Time: chunktest.EventTimeExt8},
	} {
		var chunk []byte
		var ends []int
		for _, rec := range records {
			chunk = append(chunk, chunktest.Entries([]map[string]any{rec}, testTime, o)...)
			ends = append(ends, len(chunk))
		}
		for cut := 0; cut < len(chunk); cut++ {
			prefix := chunk[:cut:cut] // cap too, so reading past the end would panic
			complete := 0
			for complete < len(ends) && ends[complete] <= cut {
				complete++
			}
			recs, err := readAllErr(prefix, "log")
			if len(recs) != complete {
				t.Fatalf("%+v cut %d: got %d records, want %d", o, cut, len(recs), complete)
			}
			atBoundary := cut == 0 || (complete > 0 && ends[complete-1] == cut)
			if atBoundary {
				if err != nil {
					t.Fatalf("%+v cut %d at boundary: %v", o, cut, err)
				}
				continue
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("%+v cut %d: got %v, want FormatError", o, cut, err)
			}
			start := 0
			if complete > 0 {
				start = ends[complete-1]
			}
			if fe.Offset < start || fe.Offset > cut || fe.Entry != complete {
				t.Fatalf("%+v cut %d: error %v outside entry [%d, %d]", o, cut, fe, start, cut)
			}
		}
	}
}

// A str body is the chunk's own bytes, not a copy: that is the zero-copy
// promise, and the reason a Body must not outlive the flush.
func TestRawBodyAliasesChunk(t *testing.T) {
	chunk := chunktest.RawLines([][]byte{[]byte("line")}, "log", testTime)
	var r Reader
	r.Reset(chunk, "log")
	rec, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	end := len(chunk) - len(rec.Body)
	if &rec.Body[0] != &chunk[end] {
		t.Error("Body is a copy, not a slice of the chunk")
	}
}

// A record nested deeper than MaxDepth cannot be rendered, but it is valid msgpack: it
// becomes a note (shipped downstream as a pipeline_error) and the entries after it are read.
func TestTooDeepRecordDoesNotStopTheChunk(t *testing.T) {
	deep := func(n int) []byte {
		var b []byte
		for range n {
			b = msgp.AppendArrayHeader(b, 1)
		}
		return append(b, 0x01)
	}
	entry := func(record []byte) []byte {
		b := msgp.AppendArrayHeader(nil, 2)
		b = msgp.AppendArrayHeader(b, 2)
		b = chunktest.AppendEventTime(b, testTime, chunktest.EventTime)
		b = msgp.AppendMapHeader(b, 0)
		return append(b, record...)
	}
	underLog := append(msgp.AppendString(msgp.AppendMapHeader(nil, 1), "log"), deep(MaxDepth+1)...)
	wholeMap := append(msgp.AppendString(msgp.AppendMapHeader(nil, 1), "other"), deep(MaxDepth)...)
	good := chunktest.RawLines([][]byte{[]byte(`{"kind":"Event"}`)}, "log", testTime)
	chunk := append(append(entry(underLog), entry(wholeMap)...), good...)
	recs, err := readAllErr(chunk, "log")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	for _, rec := range recs[:2] {
		if rec.Rendered || !strings.Contains(string(rec.Body), "deeper than") || json.Valid([]byte(rec.Body)) {
			t.Errorf("too-deep record: %q (rendered %v)", rec.Body, rec.Rendered)
		}
	}
	if string(recs[2].Body) != `{"kind":"Event"}` {
		t.Errorf("the record after them: %q", recs[2].Body)
	}
}
