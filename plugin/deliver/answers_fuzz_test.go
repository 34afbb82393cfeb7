package deliver

import (
	"testing"
	"time"
)

// The intake's answers are bytes from the network: these targets hold that no answer,
// however malformed, makes the plugin panic, lose track of a document, or wait beyond a day.

func FuzzESAnswer(f *testing.F) {
	f.Add([]byte(`{"errors":false,"items":[{"create":{"status":201}}]}`), uint8(1))
	f.Add([]byte(`{"errors":true,"items":[{"create":{"status":201}},{"create":{"status":409}},{"create":{"status":429}},{"create":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"bad","caused_by":{"reason":"why"}}}}]}`), uint8(4))
	f.Add([]byte(`{"errors":true,"items":[{"index":{"status":403}}]}`), uint8(1))
	f.Add([]byte(`{"errors":true,"items":[`), uint8(2))
	f.Add([]byte(`not json`), uint8(0))
	f.Fuzz(func(t *testing.T, body []byte, n uint8) {
		fates := make([]itemFate, n)
		v := esItems(Answer{Status: 200, Body: body}, vDelivered, fates)
		switch v {
		case vDelivered, vRetry:
		case vItems:
			for i, it := range fates {
				if it.fate > fAuth {
					t.Fatalf("item %d: fate %d out of range", i, it.fate)
				}
				if (it.fate == fReject || it.fate == fAuth) && it.reason == "" {
					t.Fatalf("item %d rejected without a reason", i)
				}
			}
		default:
			t.Fatalf("verdict %d from a bulk answer", v)
		}
	})
}

func FuzzSplunkAnswer(f *testing.F) {
	f.Add([]byte(`{"text":"Invalid data format","code":6,"invalid-event-number":2}`), uint8(5))
	f.Add([]byte(`{"text":"Incorrect index","code":7,"invalid-event-number":1}`), uint8(3))
	f.Add([]byte(`{"text":"x","code":6,"invalid-event-number":-1}`), uint8(3))
	f.Add([]byte(`{"code":`), uint8(1))
	f.Fuzz(func(t *testing.T, body []byte, n uint8) {
		fates := make([]itemFate, n)
		v := splunkItems(Answer{Status: 400, Body: body}, vReject, fates)
		if v != vItems {
			return
		}
		rejected := 0
		for i, it := range fates {
			switch it.fate {
			case fDone, fResend:
			case fReject:
				rejected++
				if it.reason == "" {
					t.Fatalf("item %d rejected without a reason", i)
				}
			default:
				t.Fatalf("item %d: unexpected fate %d", i, it.fate)
			}
		}
		if rejected != 1 {
			t.Fatalf("invalid-event-number must set aside exactly one event, got %d", rejected)
		}
	})
}

func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "0", "-5", "Wed, 21 Oct 2015 07:28:00 GMT", "soon", "99999999999999999999", " 7 "} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		if d := parseRetryAfter(v, now); d < 0 || d > maxRetryAfter {
			t.Fatalf("Retry-After %q gave %v", v, d)
		}
	})
}
