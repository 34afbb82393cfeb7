package chunktest

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/tinylib/msgp/msgp"
)

// Width selects the msgpack header form. Auto picks the smallest that fits.
type Width int

const (
	Auto Width = iota
	Fix        // fixarray, fixmap, fixstr (bin has no fix form: bin8)
	W8         // str8, bin8 (arrays and maps have no 8-bit form: fix)
	W16        // array16, map16, str16, bin16
	W32        // array32, map32, str32, bin32
)

// TimeForm selects how an entry timestamp is encoded.
type TimeForm int

const (
	EventTime      TimeForm = iota // ext type 0, 8 bytes, fixext8 form (what Fluent Bit writes)
	EventTimeExt8                  // the same in ext8 form
	EventTimeExt32                 // the same in ext32 form
	IntSeconds                     // integer seconds, smallest int form
	Uint64Seconds                  // integer seconds, always uint64 form
	Float64Seconds                 // float64 seconds with fraction
	Float32Seconds                 // float32 seconds with fraction
	NilTime                        // nil: a host that lost the time
)

// Raw is msgpack appended as is, to put arbitrary (even invalid) values into a
// record.
type Raw []byte

// AppendEventTime appends t as Fluent Bit's EventTime in the given ext form.
func AppendEventTime(dst []byte, t time.Time, f TimeForm) []byte {
	switch f {
	case EventTimeExt8:
		dst = append(dst, 0xc7, 8, 0)
	case EventTimeExt32:
		dst = append(dst, 0xc9, 0, 0, 0, 8, 0)
	default:
		dst = append(dst, 0xd7, 0)
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(t.Unix()))
	return binary.BigEndian.AppendUint32(dst, uint32(t.Nanosecond()))
}

// AppendTime appends t as an entry timestamp in form f.
func AppendTime(dst []byte, t time.Time, f TimeForm) []byte {
	switch f {
	case EventTime, EventTimeExt8, EventTimeExt32:
		return AppendEventTime(dst, t, f)
	case IntSeconds:
		return msgp.AppendInt64(dst, t.Unix())
	case Uint64Seconds:
		dst = append(dst, 0xcf)
		return binary.BigEndian.AppendUint64(dst, uint64(t.Unix()))
	case Float64Seconds:
		return msgp.AppendFloat64(dst, float64(t.UnixNano())/1e9)
	case Float32Seconds:
		return msgp.AppendFloat32(dst, float32(float64(t.UnixNano())/1e9))
	case NilTime:
		return msgp.AppendNil(dst)
	}
	panic(fmt.Sprintf("chunktest: unknown TimeForm %d", f))
}

// AppendArrayHeader appends an array header of n elements in width w.
func AppendArrayHeader(dst []byte, n uint32, w Width) []byte {
	return appendContainer(dst, n, w, 0x90, 0xdc, 0xdd)
}

// AppendMapHeader appends a map header of n pairs in width w.
func AppendMapHeader(dst []byte, n uint32, w Width) []byte {
	return appendContainer(dst, n, w, 0x80, 0xde, 0xdf)
}

func appendContainer(dst []byte, n uint32, w Width, fix, b16, b32 byte) []byte {
	switch w {
	case Auto:
		if fix == 0x90 {
			return msgp.AppendArrayHeader(dst, n)
		}
		return msgp.AppendMapHeader(dst, n)
	case Fix, W8:
		if n > 15 {
			panic(fmt.Sprintf("chunktest: %d elements do not fit a fix header", n))
		}
		return append(dst, fix|byte(n))
	case W16:
		if n > math.MaxUint16 {
			panic(fmt.Sprintf("chunktest: %d elements do not fit a 16-bit header", n))
		}
		return binary.BigEndian.AppendUint16(append(dst, b16), uint16(n))
	case W32:
		return binary.BigEndian.AppendUint32(append(dst, b32), n)
	}
	panic(fmt.Sprintf("chunktest: unknown Width %d", w))
}

// AppendStr appends s as a msgpack str in width w.
func AppendStr(dst, s []byte, w Width) []byte {
	if w == Auto {
		return msgp.AppendStringFromBytes(dst, s)
	}
	return appendBlob(dst, s, w, 0xa0, 0xd9, 0xda, 0xdb)
}

// AppendBin appends b as a msgpack bin in width w (Fix means bin8).
func AppendBin(dst, b []byte, w Width) []byte {
	if w == Auto {
		return msgp.AppendBytes(dst, b)
	}
	if w == Fix {
		w = W8
	}
	return appendBlob(dst, b, w, 0, 0xc4, 0xc5, 0xc6)
}

func appendBlob(dst, s []byte, w Width, fix, b8, b16, b32 byte) []byte {
	n := len(s)
	switch {
	case w == Fix && n <= 31:
		dst = append(dst, fix|byte(n))
	case w == W8 && n <= math.MaxUint8:
		dst = append(dst, b8, byte(n))
	case w == W16 && n <= math.MaxUint16:
		dst = binary.BigEndian.AppendUint16(append(dst, b16), uint16(n))
	case w == W32 && uint64(n) <= math.MaxUint32:
		dst = binary.BigEndian.AppendUint32(append(dst, b32), uint32(n))
	default:
		panic(fmt.Sprintf("chunktest: %d bytes do not fit width %d", n, w))
	}
	return append(dst, s...)
}

// AppendValue appends v with the default Options. See Options.AppendValue.
func AppendValue(dst []byte, v any) []byte { return Options{}.AppendValue(dst, v) }

// AppendValue appends v as msgpack, with o's header widths. Supported: nil,
// bool, string (str), []byte (bin), every int, uint and float type,
// time.Time (EventTime), Raw (as is), []any, []string, []map[string]any,
// map[string]any (keys sorted).
func (o Options) AppendValue(dst []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return msgp.AppendNil(dst)
	case bool:
		return msgp.AppendBool(dst, v)
	case string:
		return o.appendStr(dst, []byte(v))
	case []byte:
		if o.StrWidth == Auto {
			return msgp.AppendBytes(dst, v)
		}
		return AppendBin(dst, v, o.StrWidth)
	case int:
		return msgp.AppendInt(dst, v)
	case int8:
		return msgp.AppendInt8(dst, v)
	case int16:
		return msgp.AppendInt16(dst, v)
	case int32:
		return msgp.AppendInt32(dst, v)
	case int64:
		return msgp.AppendInt64(dst, v)
	case uint:
		return msgp.AppendUint(dst, v)
	case uint8:
		return msgp.AppendUint8(dst, v)
	case uint16:
		return msgp.AppendUint16(dst, v)
	case uint32:
		return msgp.AppendUint32(dst, v)
	case uint64:
		return msgp.AppendUint64(dst, v)
	case float32:
		return msgp.AppendFloat32(dst, v)
	case float64:
		return msgp.AppendFloat64(dst, v)
	case time.Time:
		return AppendEventTime(dst, v, EventTime)
	case Raw:
		return append(dst, v...)
	case []any:
		dst = o.appendArrayHeader(dst, len(v))
		for _, e := range v {
			dst = o.AppendValue(dst, e)
		}
		return dst
	case []string:
		dst = o.appendArrayHeader(dst, len(v))
		for _, e := range v {
			dst = o.appendStr(dst, []byte(e))
		}
		return dst
	case []map[string]any:
		dst = o.appendArrayHeader(dst, len(v))
		for _, e := range v {
			dst = o.AppendValue(dst, e)
		}
		return dst
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		dst = o.appendMapHeader(dst, len(v))
		for _, k := range keys {
			dst = o.appendStr(dst, []byte(k))
			dst = o.AppendValue(dst, v[k])
		}
		return dst
	}
	panic(fmt.Sprintf("chunktest: cannot encode %T", v))
}

func (o Options) appendArrayHeader(dst []byte, n int) []byte {
	return AppendArrayHeader(dst, uint32(n), o.Width)
}

func (o Options) appendMapHeader(dst []byte, n int) []byte {
	return AppendMapHeader(dst, uint32(n), o.Width)
}

func (o Options) appendStr(dst, s []byte) []byte { return AppendStr(dst, s, o.StrWidth) }
