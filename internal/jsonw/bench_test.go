package jsonw

import (
	"strings"
	"testing"
)

// benchInputs are the shapes the callers see: audit text (plain ASCII), an escaped JSON
// document inside a string (a last-applied-configuration, or a document a framing wraps),
// and text with non-ASCII letters.
var benchInputs = []struct{ name, s string }{
	{"plain-64", strings.Repeat("system:serviceaccount:kube-system:x ", 2)[:64]},
	{"plain-4KB", strings.Repeat("/api/v1/namespaces/default/pods?limit=500&", 100)},
	{"doc-4KB", strings.Repeat(`{"kind":"Pod","name":"a-b","n":12},`, 120)},
	{"utf8-4KB", strings.Repeat("Größe 日本語 café ", 200)},
}

func BenchmarkAppendQuoted(b *testing.B) {
	for _, in := range benchInputs {
		b.Run(in.name, func(b *testing.B) {
			s := []byte(in.s)
			dst := make([]byte, 0, 4*len(s))
			b.SetBytes(int64(len(s)))
			b.ReportAllocs()
			for b.Loop() {
				dst = AppendQuoted(dst[:0], s)
			}
		})
	}
}

func BenchmarkQuotedLen(b *testing.B) {
	for _, in := range benchInputs {
		b.Run(in.name, func(b *testing.B) {
			s := []byte(in.s)
			b.SetBytes(int64(len(s)))
			b.ReportAllocs()
			for b.Loop() {
				_ = QuotedLen(s)
			}
		})
	}
}
