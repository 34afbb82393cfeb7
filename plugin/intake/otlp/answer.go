package otlp

import (
	"encoding/binary"
	"encoding/json"
	"strconv"
)

// partialSuccess reads an OTLP/HTTP answer for records the receiver dropped:
// ExportLogsServiceResponse.partial_success {rejected_log_records, error_message}. A
// receiver answers in the request's encoding; the body says which (a JSON answer is an
// object, a protobuf one starts with a field tag), so both are read whatever we sent. An
// answer that is neither says nothing. It runs once per accepted request, off the
// per-document path.
func partialSuccess(body []byte) (int, string) {
	if len(body) > 0 && body[0] == '{' {
		return partialSuccessJSON(body)
	}
	return partialSuccessProto(body)
}

// partialSuccessJSON: rejectedLogRecords is an int64, a string in proto3 JSON, a number
// from some receivers: both are read.
func partialSuccessJSON(body []byte) (int, string) {
	var a struct {
		PartialSuccess *struct {
			Rejected json.RawMessage `json:"rejectedLogRecords"`
			Message  string          `json:"errorMessage"`
		} `json:"partialSuccess"`
	}
	if json.Unmarshal(body, &a) != nil || a.PartialSuccess == nil {
		return 0, ""
	}
	p := a.PartialSuccess
	var s string
	if json.Unmarshal(p.Rejected, &s) != nil {
		s = string(p.Rejected)
	}
	n, _ := strconv.Atoi(s)
	// The specification: rejectedLogRecords 0 with a message is a warning.
	return n, p.Message
}

// partialSuccessProto reads field 1 of the response (ExportLogsPartialSuccess: field 1
// rejected_log_records int64, field 2 error_message), skipping unknown fields. Malformed
// bytes say nothing more. Two varints and a string: read here rather than linking a
// protobuf library into the plugin for them.
func partialSuccessProto(b []byte) (rejected int, msg string) {
	var ps []byte
	fields(b, func(num, typ uint64, v []byte, u uint64) {
		if num == 1 && typ == wireLen {
			ps = v
		}
	})
	fields(ps, func(num, typ uint64, v []byte, u uint64) {
		switch {
		case num == 1 && typ == wireVarint && int64(u) > 0:
			rejected = int(min(u, 1<<31))
		case num == 2 && typ == wireLen:
			msg = string(v)
		}
	})
	return rejected, msg
}

// fields calls f for each field of a protobuf message (v: a length-delimited field's
// bytes, u: a varint's value) until the end or the first malformed byte.
func fields(b []byte, f func(num, typ uint64, v []byte, u uint64)) {
	for len(b) > 0 {
		tag, n := binary.Uvarint(b)
		if n <= 0 {
			return
		}
		b = b[n:]
		num, typ := tag>>3, tag&7
		var v []byte
		var u uint64
		switch typ {
		case wireVarint:
			if u, n = binary.Uvarint(b); n <= 0 {
				return
			}
		case wireI64:
			n = 8
		case wireLen:
			l, k := binary.Uvarint(b)
			if k <= 0 || l > uint64(len(b)-k) {
				return
			}
			v, n = b[k:k+int(l)], k+int(l)
		case 5: // I32
			n = 4
		default:
			return // groups: not in these messages
		}
		if n > len(b) {
			return
		}
		b = b[n:]
		f(num, typ, v, u)
	}
}
