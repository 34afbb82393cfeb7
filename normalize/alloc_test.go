package normalize

import "testing"

// TestZeroAllocs holds the hot-path promise: once a Normalizer has seen every
// fixture (its buffers and parser caches grown), normalizing any fixture
// event again allocates nothing, in both formats, with event.original, and with a
// policy dropping events.
func TestZeroAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	files := loadFixtures(t)
	for _, o := range []Options{
		{Format: ECS, ClusterName: "test"},
		{Format: ECS, EventOriginal: true},
		{Format: Raw},
		// A policy that drops reads (each drop records its reason) and redaction on.
		{Format: ECS, Redact: true, Policy: mustPolicy(t, "rules:\n- level: None\n  verbs: [get, list, watch]\n- level: RequestResponse\n")},
	} {
		n := New(o)
		for pass := 0; pass < 2; pass++ {
			for _, f := range files {
				for _, r := range f.records {
					n.Normalize(r, testRecordTime)
				}
			}
		}
		for _, f := range files {
			for i, r := range f.records {
				docs := n.Normalize(r, testRecordTime)
				if len(docs) == 1 && docs[0].Error {
					continue // the error path may allocate (fastjson's error text)
				}
				allocs := testing.AllocsPerRun(5, func() { n.Normalize(r, testRecordTime) })
				if allocs != 0 {
					t.Errorf("%v %s record %d: %.1f allocs per run", o.Format, f.name, i, allocs)
				}
			}
		}
	}
}
