package normalize

import "testing"

// BenchmarkRoads normalizes the fixture lines by the direct road and by the general road
// alone (generalRoad, roads_test.go): what the second parse road of an audit event object costs, the
// figure doc.go's "Roads" paragraph cites.
func BenchmarkRoads(b *testing.B) {
	lines, total := benchLines(b)
	for _, c := range benchFormats {
		for _, road := range []string{"direct", "general"} {
			b.Run(c.name+"/"+road, func(b *testing.B) {
				var n normalizer = New(c.o)
				if road == "general" {
					n = generalRoad{New(c.o)}
				}
				for _, l := range lines {
					n.Normalize(l, testRecordTime)
				}
				b.SetBytes(total)
				b.ReportAllocs()
				for b.Loop() {
					for _, l := range lines {
						n.Normalize(l, testRecordTime)
					}
				}
			})
		}
	}
}
