package chunk

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/k8saudit/k8saudit/plugin/chunk/chunktest"
	"github.com/tinylib/msgp/msgp"
)

// sameAsReference reads chunk with the Reader and with the reference (the reader before
// its fast paths, render_ref_test.go) and fails at the first record, error or offset in
// which they differ.
func sameAsReference(t *testing.T, chunk []byte, key string) {
	t.Helper()
	var r Reader
	var ref refReader
	r.Reset(chunk, key)
	ref.Reset(chunk, key)
	for i := 0; ; i++ {
		got, err := r.Next()
		want, wantErr := ref.refNext()
		if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
			t.Fatalf("entry %d: error %v, reference %v", i, err, wantErr)
		}
		var fe, wfe *FormatError
		if errors.As(err, &fe) != errors.As(wantErr, &wfe) || fe != nil && (fe.Offset != wfe.Offset || fe.Entry != wfe.Entry || fe.Reason != wfe.Reason) {
			t.Fatalf("entry %d: error %+v, reference %+v", i, fe, wfe)
		}
		if err != nil {
			return
		}
		if got.Time != want.Time || got.Rendered != want.Rendered || !bytes.Equal(got.Body, want.Body) {
			t.Fatalf("entry %d: got %d %v %q\nreference %d %v %q", i, got.Time, got.Rendered, got.Body, want.Time, want.Rendered, want.Body)
		}
		if r.Offset() != ref.Offset() {
			t.Fatalf("entry %d: offset %d, reference %d", i, r.Offset(), ref.Offset())
		}
	}
}

// TestRenderMatchesReference holds every fixture chunk, whole and cut at every few bytes,
// to the reference reader.
func TestRenderMatchesReference(t *testing.T) {
	names, err := filepath.Glob(filepath.Join(fixtureDir, "*.msgpack"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"log", "", "message", "kind"} {
			sameAsReference(t, b, key)
		}
		step := len(b)/300 + 1
		for n := 0; n < len(b); n += step {
			c := b[:n:n]
			sameAsReference(t, c, "log")
		}
	}
}

// TestRenderShortStringsMatchReference: strings of every length up to 40 with a byte
// needing attention (or none) at every position, alone at the end of the chunk or followed
// by more bytes, as keys and as values: the word-at-a-time check for short strings must
// send exactly the strings that need it to the escaper.
func TestRenderShortStringsMatchReference(t *testing.T) {
	specials := []byte{'"', '\\', 0, 0x1f, 0x7f, 0x80, 0xff, 0xe2, 'a', ' ', '!', '#', '[', ']'}
	t0 := time.Unix(1700000000, 0)
	for n := 0; n <= 40; n++ {
		for pos := 0; pos < n || pos == 0 && n == 0; pos++ {
			for _, c := range specials {
				s := []byte(strings.Repeat("x", n))
				if n > 0 {
					s[pos] = c
				}
				for _, tail := range [][]byte{nil, []byte("\"\"\"\"\"\"\"\""), {0xc0}} {
					v := msgp.AppendMapHeader(nil, 2)
					v = msgp.AppendStringFromBytes(v, s)
					v = msgp.AppendStringFromBytes(v, s)
					v = msgp.AppendString(v, "k")
					v = msgp.AppendStringFromBytes(v, s)
					e := msgp.AppendArrayHeader(nil, 2)
					e = msgp.AppendInt64(e, t0.Unix())
					e = append(e, v...)
					c := append(e, tail...)
					sameAsReference(t, c[:len(c):len(c)], "log")
				}
			}
		}
	}
}

// FuzzRenderAgainstReference: on any chunk and source key, the Reader gives the records,
// offsets and errors of the reference reader (render_ref_test.go), byte for byte.
func FuzzRenderAgainstReference(f *testing.F) {
	if names, err := filepath.Glob(filepath.Join(fixtureDir, "*.msgpack")); err == nil {
		for _, name := range names {
			if b, err := os.ReadFile(name); err == nil {
				f.Add(smallestEntry(b, 1<<10), "log")
			}
		}
	}
	t0 := time.Unix(1700000000, 5)
	f.Add(chunktest.Maps([]map[string]any{{
		"kind": "Event", "n": 1.5, "f": float32(2), "u": uint64(1 << 63), "i": -7, "b": []byte("bin"),
		"l": []any{nil, true, false, map[string]any{"x": "y\"\\\x01é"}}, "t": t0, "s": strings.Repeat("a", 300),
	}}, t0), "log")
	f.Add(chunktest.Entries([]map[string]any{{"LOG": []any{"v"}, "message": "m"}}, t0,
		chunktest.Options{V1: true, Time: chunktest.Float64Seconds, Width: chunktest.W32, StrWidth: chunktest.W16}), "log")
	f.Fuzz(func(t *testing.T, chunk []byte, key string) {
		sameAsReference(t, chunk[:len(chunk):len(chunk)], key)
	})
}
