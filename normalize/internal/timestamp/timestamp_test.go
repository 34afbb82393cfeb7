package timestamp

import (
	"testing"
	"time"
)

func TestParseTimestamp(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // RFC3339Nano of the result, "" for a failure
	}{
		{"2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"},
		{"2024-01-02T03:04:05.123456Z", "2024-01-02T03:04:05.123456Z"},
		{"2024-01-02t03:04:05.123456789123z", "2024-01-02T03:04:05.123456789Z"},
		{"2024-01-02 03:04:05+02:30", "2024-01-02T00:34:05Z"},
		{"2024-02-29T23:59:59-01:00", "2024-03-01T00:59:59Z"},
		{"1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"},
		{"1969-12-31T23:59:59.5Z", "1969-12-31T23:59:59.5Z"},
		{"2016-12-31T23:59:60Z", "2016-12-31T23:59:59Z"},
		{"2023-02-29T00:00:00Z", ""},
		{"2024-13-01T00:00:00Z", ""},
		{"2024-01-02T03:04:05", ""},
		{"2024-01-02T03:04:05.Z", ""},
		{"2024-01-02T03:04:05+0200", ""},
		{"2024-01-02T03:04:05Zjunk", ""},
		{"9999-01-01T00:00:00Z", ""},
		{"", ""},
		{"yesterday at noon, roughly", ""},
	} {
		ns, ok := Parse([]byte(c.in))
		got := ""
		if ok {
			got = time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
		}
		if got != c.want {
			t.Errorf("%q: got %q want %q", c.in, got, c.want)
		}
	}
}

func TestAppendTimestamp(t *testing.T) {
	for _, ns := range []int64{0, 1, -1, 1700000000123456789, -6795364578871345152, 7258118399999999999, 951782400000000000} {
		want := time.Unix(0, ns).UTC().Format("2006-01-02T15:04:05.000000000Z")
		if got := string(Append(nil, ns)); got != want {
			t.Errorf("%d: got %s want %s", ns, got, want)
		}
	}
}

// FuzzTimestampText: writing a timestamp from its text gives the bytes
// computing it gives, for every text parseTimestamp accepts.
func FuzzTimestampText(f *testing.F) {
	for _, s := range []string{
		"2023-01-02T03:04:05Z", "2023-01-02T03:04:05.123456Z", "2023-01-02T03:04:05.123456789Z",
		"2023-01-02T03:04:05.1234567891Z", "2016-12-31T23:59:60.5Z", "2023-01-02t03:04:05Z",
		"2023-01-02T03:04:05,5Z", "2023-01-02T03:04:05.5+01:00", "1678-01-01T00:00:00Z", "2262-04-11T23:47:16.854775807Z",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		ns, ok := Parse(s)
		if !ok {
			return
		}
		got, want := AppendText(nil, s, ns), Append(nil, ns)
		if string(got) != string(want) {
			t.Fatalf("%q: from text %q, computed %q", s, got, want)
		}
	})
}
