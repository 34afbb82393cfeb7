package chunk

import (
	"io"
	"testing"
)

func readEvery(tb testing.TB, r *Reader, chunk []byte, key string) int {
	r.Reset(chunk, key)
	n := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			return n
		}
		if err != nil {
			tb.Fatal(err)
		}
		n++
	}
}

func TestZeroAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("AllocsPerRun is slow")
	}
	for _, name := range []string{
		"v4-tail-raw.msgpack", "v5-tail-raw.msgpack",
		"v4-tail-json.msgpack", "v5-tail-json.msgpack",
		"v4-http-eventlist.msgpack",
	} {
		t.Run(name, func(t *testing.T) {
			chunk := fixture(t, name)
			var r Reader
			readEvery(t, &r, chunk, "log") // grows the scratch buffer
			allocs := testing.AllocsPerRun(20, func() { readEvery(t, &r, chunk, "log") })
			if allocs != 0 {
				t.Errorf("%v allocations per chunk, want 0", allocs)
			}
		})
	}
}
