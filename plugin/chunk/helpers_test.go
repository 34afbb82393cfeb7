package chunk

import (
	"bytes"
	"encoding/json"
	"io"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/k8saudit/k8saudit/internal/testfix"
)

// fixtureDir holds the chunks real Fluent Bit handed to a Go plugin (testdata/fixtures/chunks
// at the repository root; how they were captured is in its README).
var fixtureDir = filepath.Join(testfix.Root(), "chunks")

// fixture returns a file of fixtureDir, failing the test when it cannot be read.
func fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	return testfix.Read(tb, "chunks", name)
}

// record is a Record whose Body the test owns.
type record struct {
	Time     int64
	Body     string
	Rendered bool
}

// readAll reads every record of chunk, failing the test on any error.
func readAll(tb testing.TB, chunk []byte, key string) []record {
	tb.Helper()
	recs, err := readAllErr(chunk, key)
	if err != nil {
		tb.Fatalf("after %d records: %v", len(recs), err)
	}
	return recs
}

func readAllErr(chunk []byte, key string) ([]record, error) {
	var r Reader
	r.Reset(chunk, key)
	var recs []record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
		recs = append(recs, record{rec.Time, string(rec.Body), rec.Rendered})
	}
}

// decodeJSON decodes with numbers kept as their text, so that the comparison
// also catches an integer rendered in float form or a lost digit.
func decodeJSON(tb testing.TB, b []byte) any {
	tb.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		tb.Fatalf("invalid JSON %q: %v", truncate(b), err)
	}
	if d.More() {
		tb.Fatalf("trailing data after JSON %q", truncate(b))
	}
	return v
}

func assertSameJSON(tb testing.TB, got, want []byte) {
	tb.Helper()
	g, w := decodeJSON(tb, got), decodeJSON(tb, want)
	if !reflect.DeepEqual(g, w) {
		tb.Fatalf("JSON differs\n got: %s\nwant: %s", truncate(got), truncate(want))
	}
}

func truncate(b []byte) []byte {
	if len(b) > 300 {
		return append(b[:300:300], "..."...)
	}
	return b
}
