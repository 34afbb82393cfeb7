package otlp

import (
	"encoding/json"
	"strconv"
)

// partialSuccess reads an OTLP/HTTP answer for records the receiver dropped:
// ExportLogsServiceResponse.partialSuccess in the JSON encoding (we send JSON, so the
// receiver answers JSON). rejectedLogRecords is an int64, a string in proto3 JSON, a
// number from some receivers: both are read. An answer that is not that object says
// nothing. It runs once per accepted request, off the per-document path.
func partialSuccess(body []byte) (int, string) {
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
