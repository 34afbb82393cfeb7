package instance

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/k8saudit/k8saudit/plugin/config"
	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/logging"
)

// retainedBy is the heap an instance holds after flushing chunk twice (the defaults: ECS,
// gzip, the ndjson intake's 5 MB batches): what one worker keeps between flushes, which is
// also its peak during one, since a warm flush allocates nothing.
func retainedBy(t *testing.T, chunk []byte) float64 {
	t.Helper()
	cfg, _, err := config.Parse(config.Map{"url": "http://intake.invalid/", "stats_interval": "0"})
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	in, err := NewWith(cfg, logging.Discard(), With{Poster: discard{}, Name: "k8saudit.0"})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	for range 2 {
		if r := in.Flush(chunk); r != OK {
			t.Fatalf("flush = %v", r)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) - float64(base)
}

// The README's memory bound, per worker: the chunk's documents (ECS is about 1.3x the
// audit text), one request body (at most batch_bytes), its gzip output, and about 2 MB of
// fixed state (gzip tables, the memory of accepted bodies). Tested as 1.5x the chunk, plus
// 1.5x the smaller of batch_bytes and 1.5x the chunk, plus 3 MB. And a giant chunk
// does not pin its documents: past 16 MiB of documents the buffer is dropped after the
// flush, so what stays is the bounded request buffers.
func TestFlushMemoryIsBounded(t *testing.T) {
	one := readFixture(t, "chunks", "v5-tail-raw.msgpack")
	for _, copies := range []int{1, 3, 6} {
		chunk := bytes.Repeat(one, copies)
		c := float64(len(chunk))
		bound := 1.5*c + 1.5*min(deliver.DefaultBatchBytes, 1.5*c) + 3e6
		got := retainedBy(t, chunk)
		t.Logf("chunk %.1f MB: %.1f MB held (bound %.1f MB)", c/1e6, got/1e6, bound/1e6)
		if got > bound {
			t.Errorf("chunk of %.1f MB: the instance holds %.1f MB, over the README's bound %.1f MB", c/1e6, got/1e6, bound/1e6)
		}
	}
	giant := bytes.Repeat(one, 20) // 17 MB of audit text: more than 16 MiB of ECS documents
	got := retainedBy(t, giant)
	if limit := 1.5*deliver.DefaultBatchBytes + 3e6; got > limit {
		t.Errorf("after a %.0f MB chunk the instance still holds %.1f MB (want at most %.1f MB: its documents released)", float64(len(giant))/1e6, got/1e6, limit/1e6)
	}
}
