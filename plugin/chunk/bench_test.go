package chunk

import "testing"

func benchmarkFixture(b *testing.B, name string) {
	chunk := fixture(b, name)
	var r Reader
	readEvery(b, &r, chunk, "log")
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		readEvery(b, &r, chunk, "log")
	}
}

func BenchmarkReaderTailRaw(b *testing.B)   { benchmarkFixture(b, "v5-tail-raw.msgpack") }
func BenchmarkReaderTailJSON(b *testing.B)  { benchmarkFixture(b, "v5-tail-json.msgpack") }
func BenchmarkReaderEventList(b *testing.B) { benchmarkFixture(b, "v5-http-eventlist.msgpack") }
