// Package chunktest builds msgpack chunks shaped like the ones Fluent Bit hands
// a Go output plugin, for tests of packages that read them.
//
// Output is deterministic: map keys are written in sorted order. The helpers
// panic on values they cannot encode (an unsupported Go type, a Width too
// narrow for the length): they exist for tests, where a loud failure is the
// useful one.
package chunktest

import (
	"time"
)

// RawLines builds one v2 entry per line, [[EventTime, {}], {key: line}], as
// the tail input without a parser does. Every entry carries time t.
func RawLines(lines [][]byte, key string, t time.Time) []byte {
	return rawLines(lines, key, t, Options{})
}

// V1RawLines is RawLines in the entry shape of hosts before Fluent Bit 2.0:
// [EventTime, {key: line}].
func V1RawLines(lines [][]byte, key string, t time.Time) []byte {
	return rawLines(lines, key, t, Options{V1: true})
}

func rawLines(lines [][]byte, key string, t time.Time, o Options) []byte {
	var dst []byte
	for _, line := range lines {
		dst = o.appendEntryHead(dst, t)
		dst = o.appendMapHeader(dst, 1)
		dst = o.appendStr(dst, []byte(key))
		dst = o.appendStr(dst, line)
	}
	return dst
}

// Maps builds one v2 entry per record map, [[EventTime, {}], record], as the
// tail input with "Parser json" or the http input does. See AppendValue for
// the Go types a record may hold.
func Maps(records []map[string]any, t time.Time) []byte {
	return Entries(records, t, Options{})
}

// Options selects the wire shape of Entries. The zero value is what Fluent
// Bit v5 writes: v2 entries, fixext8 EventTime, smallest headers.
type Options struct {
	V1       bool           // [ts, record] instead of [[ts, metadata], record]
	Time     TimeForm       // how the entry timestamp is encoded
	Width    Width          // every array and map header, entries included (W8 means Fix)
	StrWidth Width          // every str and bin header, map keys included
	Metadata map[string]any // v2 metadata; nil writes {}
}

// Entries builds one entry per record with the shape chosen in o.
func Entries(records []map[string]any, t time.Time, o Options) []byte {
	var dst []byte
	for _, rec := range records {
		dst = o.appendEntryHead(dst, t)
		dst = o.AppendValue(dst, rec)
	}
	return dst
}

// appendEntryHead writes everything of an entry up to its record.
func (o Options) appendEntryHead(dst []byte, t time.Time) []byte {
	dst = o.appendArrayHeader(dst, 2)
	if o.V1 {
		return AppendTime(dst, t, o.Time)
	}
	dst = o.appendArrayHeader(dst, 2)
	dst = AppendTime(dst, t, o.Time)
	if o.Metadata == nil {
		return o.appendMapHeader(dst, 0)
	}
	return o.AppendValue(dst, o.Metadata)
}
