package chunk

import (
	"bytes"
	"testing"
	"time"
)

// Bounds for a plausible capture time of the fixtures.
var (
	plausibleFrom = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	plausibleTo   = time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
)

func fixtureLines(t *testing.T) [][]byte {
	t.Helper()
	lines := bytes.Split(bytes.TrimSuffix(fixture(t, "tail-input.log"), []byte("\n")), []byte("\n"))
	if len(lines) != 142 {
		t.Fatalf("tail-input.log has %d lines, want 142", len(lines))
	}
	return lines
}

func checkTime(t *testing.T, i int, ns int64) {
	t.Helper()
	if ns < plausibleFrom || ns > plausibleTo {
		t.Errorf("record %d: implausible time %d (%v)", i, ns, time.Unix(0, ns).UTC())
	}
}

func TestFixtureTailRaw(t *testing.T) {
	for _, name := range []string{"v4-tail-raw.msgpack", "v5-tail-raw.msgpack"} {
		t.Run(name, func(t *testing.T) {
			lines := fixtureLines(t)
			recs := readAll(t, fixture(t, name), "log")
			if len(recs) != len(lines) {
				t.Fatalf("got %d records, want %d", len(recs), len(lines))
			}
			for i, rec := range recs {
				if rec.Rendered {
					t.Errorf("record %d: Rendered, want the raw line", i)
				}
				if rec.Body != string(lines[i]) {
					t.Errorf("record %d: body differs from line %d\n got: %.200s\nwant: %.200s", i, i, rec.Body, lines[i])
				}
				checkTime(t, i, rec.Time)
			}
		})
	}
}

func TestFixtureTailJSON(t *testing.T) {
	for _, name := range []string{"v4-tail-json.msgpack", "v5-tail-json.msgpack"} {
		t.Run(name, func(t *testing.T) {
			lines := fixtureLines(t)
			recs := readAll(t, fixture(t, name), "log")
			if len(recs) != len(lines) {
				t.Fatalf("got %d records, want %d", len(recs), len(lines))
			}
			for i, rec := range recs {
				if !rec.Rendered {
					t.Errorf("record %d: not Rendered", i)
				}
				assertSameJSON(t, []byte(rec.Body), lines[i])
				checkTime(t, i, rec.Time)
			}
		})
	}
}

func TestFixtureHTTPEventList(t *testing.T) {
	for _, name := range []string{"v4-http-eventlist.msgpack", "v5-http-eventlist.msgpack"} {
		t.Run(name, func(t *testing.T) {
			want := fixture(t, "webhook-eventlist.json")
			recs := readAll(t, fixture(t, name), "log")
			if len(recs) != 1 {
				t.Fatalf("got %d records, want 1", len(recs))
			}
			if !recs[0].Rendered {
				t.Error("not Rendered")
			}
			assertSameJSON(t, []byte(recs[0].Body), want)
			checkTime(t, 0, recs[0].Time)
		})
	}
}

// The v4 and v5 captures differ in header widths only; what the reader makes
// of them must not.
func TestFixtureV4EqualsV5(t *testing.T) {
	for _, kind := range []string{"tail-raw", "tail-json", "http-eventlist"} {
		v4 := readAll(t, fixture(t, "v4-"+kind+".msgpack"), "log")
		v5 := readAll(t, fixture(t, "v5-"+kind+".msgpack"), "log")
		if len(v4) != len(v5) {
			t.Fatalf("%s: %d v4 records, %d v5", kind, len(v4), len(v5))
		}
		for i := range v4 {
			if v4[i].Body != v5[i].Body || v4[i].Rendered != v5[i].Rendered {
				t.Errorf("%s record %d: v4 and v5 bodies differ", kind, i)
			}
		}
	}
}
