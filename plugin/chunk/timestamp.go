package chunk

import (
	"encoding/binary"
	"math"

	"github.com/tinylib/msgp/msgp"
)

// eventTimeType is the msgpack extension type Fluent Bit uses for EventTime.
const eventTimeType = 0

// Bounds, in seconds, of what fits in int64 nanoseconds.
const (
	maxSeconds = math.MaxInt64 / 1_000_000_000
	minSeconds = math.MinInt64 / 1_000_000_000
)

// readTime decodes an entry timestamp. Anything that is a valid msgpack value
// but not a usable time gives 0 rather than an error: the record is still worth
// delivering, and the caller can stamp it with the receive time.
func (r *Reader) readTime(b []byte) (int64, []byte, error) {
	switch msgp.NextType(b) {
	case msgp.IntType, msgp.UintType:
		if sec, o, err := msgp.ReadInt64Bytes(b); err == nil {
			if sec > maxSeconds || sec < minSeconds {
				return 0, o, nil
			}
			return sec * 1e9, o, nil
		}
	case msgp.Float64Type, msgp.Float32Type:
		if f, o, err := msgp.ReadFloat64Bytes(b); err == nil {
			return floatSeconds(f), o, nil
		}
	case msgp.ExtensionType, msgp.TimeType, msgp.Complex64Type, msgp.Complex128Type:
		if typ, data, o, ok := readExt(b); ok {
			if ns, ok := eventTime(typ, data); ok {
				return ns, o, nil
			}
			return 0, o, nil
		}
	}
	// Not a timestamp, or a truncated one: skip reports the latter.
	o, err := r.skip(b, 1)
	return 0, o, err
}

// eventTime decodes Fluent Bit's EventTime extension into Unix nanoseconds.
func eventTime(typ int8, data []byte) (int64, bool) {
	if typ != eventTimeType || len(data) != 8 {
		return 0, false
	}
	sec := int64(binary.BigEndian.Uint32(data))
	nsec := int64(binary.BigEndian.Uint32(data[4:]))
	// uint32 seconds times 1e9 plus uint32 nanoseconds cannot overflow int64.
	return sec*1e9 + nsec, true
}

func floatSeconds(f float64) int64 {
	// The negated comparison also rejects NaN.
	if !(f >= minSeconds && f <= maxSeconds) {
		return 0
	}
	sec := math.Floor(f)
	ns := int64(sec)*1e9 + int64(math.Round((f-sec)*1e9))
	return ns
}

// readExt reads any extension header form without allocating. msgp's own
// reader of extension headers is unexported, and ReadExtensionBytes needs the
// type known in advance and allocates an error when it differs.
func readExt(b []byte) (typ int8, data, rest []byte, ok bool) {
	if len(b) < 2 {
		return 0, nil, b, false
	}
	// size is uint64 so that an ext32 length cannot turn negative on 32-bit.
	var size uint64
	var off int
	switch b[0] {
	case 0xd4: // fixext1
		size, off = 1, 2
	case 0xd5: // fixext2
		size, off = 2, 2
	case 0xd6: // fixext4
		size, off = 4, 2
	case 0xd7: // fixext8
		size, off = 8, 2
	case 0xd8: // fixext16
		size, off = 16, 2
	case 0xc7: // ext8
		if len(b) < 3 {
			return 0, nil, b, false
		}
		size, off = uint64(b[1]), 3
	case 0xc8: // ext16
		if len(b) < 4 {
			return 0, nil, b, false
		}
		size, off = uint64(binary.BigEndian.Uint16(b[1:])), 4
	case 0xc9: // ext32
		if len(b) < 6 {
			return 0, nil, b, false
		}
		size, off = uint64(binary.BigEndian.Uint32(b[1:])), 6
	default:
		return 0, nil, b, false
	}
	if uint64(len(b)-off) < size {
		return 0, nil, b, false
	}
	end := off + int(size)
	return int8(b[off-1]), b[off:end], b[end:], true
}
