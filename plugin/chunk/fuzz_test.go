package chunk

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/k8saudit/k8saudit/plugin/chunk/chunktest"
	"github.com/tinylib/msgp/msgp"
)

func FuzzReader(f *testing.F) {
	// The fuzzer minimises every new interesting input for up to a minute,
	// and inputs grown from seeds of many KB take all of that, leaving a 30 s
	// run with a few dozen executions. So each fixture seeds its smallest
	// entry (real shapes and header widths in a few hundred bytes), or its
	// first KB when even that is large (the webhook EventList).
	if names, err := filepath.Glob(filepath.Join(fixtureDir, "*.msgpack")); err == nil {
		for _, name := range names {
			if b, err := os.ReadFile(name); err == nil {
				f.Add(smallestEntry(b, 1<<10), "log")
			}
		}
	}
	t0 := time.Unix(1700000000, 5)
	f.Add([]byte{}, "log")
	f.Add(chunktest.RawLines([][]byte{[]byte("a"), []byte("b\xff")}, "log", t0), "log")
	f.Add(chunktest.V1RawLines([][]byte{[]byte("x")}, "message", t0), "message")
	f.Add(chunktest.Maps([]map[string]any{{
		"kind": "Event", "n": 1.5, "f": float32(2), "u": uint64(1 << 63), "i": -7, "b": []byte("bin"),
		"l": []any{nil, true, map[string]any{"x": "y"}}, "t": t0,
	}}, t0), "log")
	f.Add(chunktest.Entries([]map[string]any{{"LOG": []any{"v"}, "message": "m"}}, t0,
		chunktest.Options{V1: true, Time: chunktest.Float64Seconds, Width: chunktest.W32, StrWidth: chunktest.W16}), "log")
	nonStrKey := msgp.AppendArrayHeader(nil, 2)
	nonStrKey = msgp.AppendInt(nonStrKey, 1)
	nonStrKey = msgp.AppendMapHeader(nonStrKey, 1)
	nonStrKey = msgp.AppendArrayHeader(nonStrKey, 1)
	nonStrKey = msgp.AppendString(nonStrKey, `"\`)
	nonStrKey = msgp.AppendFloat64(nonStrKey, 1e300)
	f.Add(nonStrKey, "")

	f.Fuzz(func(t *testing.T, chunk []byte, key string) {
		chunk = chunk[:len(chunk):len(chunk)] // reading past the end must panic, not pass
		var r Reader
		r.Reset(chunk, key)
		// Every entry is at least two bytes, so more calls than that means a
		// loop that does not advance.
		for calls := 0; ; calls++ {
			if calls > len(chunk)/2+1 {
				t.Fatalf("no end after %d calls on %d bytes", calls, len(chunk))
			}
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			var fe *FormatError
			if errors.As(err, &fe) {
				if fe.Offset < 0 || fe.Offset > len(chunk) {
					t.Fatalf("offset %d outside a chunk of %d bytes", fe.Offset, len(chunk))
				}
				if _, again := r.Next(); again != err {
					t.Fatalf("error not sticky")
				}
				break
			}
			if err != nil {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if rec.Rendered && !json.Valid(rec.Body) {
				t.Fatalf("invalid JSON body %q", rec.Body)
			}
		}
	})
}

// smallestEntry returns the smallest entry of chunk, or the first max bytes
// of chunk when no entry is smaller than that.
func smallestEntry(chunk []byte, max int) []byte {
	var best []byte
	var r Reader
	r.Reset(chunk, "log")
	for start := 0; ; start = r.Offset() {
		if _, err := r.Next(); err != nil {
			break
		}
		if e := chunk[start:r.Offset()]; best == nil || len(e) < len(best) {
			best = e
		}
	}
	if best == nil || len(best) > max {
		return chunk[:min(max, len(chunk))]
	}
	return best
}
