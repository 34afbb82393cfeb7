package normalize

import "testing"

// TestZeroAllocs holds the hot-path promise: once a Normalizer has seen every
// fixture (its buffers and parser caches grown), normalizing any fixture
// event again allocates nothing, in both formats and with event.original.
func TestZeroAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	files := loadFixtures(t)
	for _, o := range []Options{
		{Format: ECS, ClusterName: "test"},
		{Format: ECS, EventOriginal: true},
		{Format: Raw},
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
