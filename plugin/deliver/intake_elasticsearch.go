package deliver

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"unicode/utf8"
)

// Elasticsearch, OpenSearch and Sematext: POST <url>/_bulk, NDJSON pairs of an action line
// and the document, with `create` and a deterministic _id so that a resent document is
// answered 409 (already indexed) instead of being indexed twice. `create` is also the
// only action data streams accept.
//
//	{"create":{"_index":"<index>","_id":"<auditID>-<stage>-<digest>"}}
//	<document>
//
// The digest is the first 16 bytes of the SHA-256 of the document, base64url (22
// characters). The auditID alone cannot be the id: clients choose it (the Audit-ID
// header), so a later, different event could reuse an earlier one's auditID, be answered
// 409 and be taken as already delivered: an audit record erased by a header. With the
// digest, two different documents never share an id (a collision of 128 bits of SHA-256
// is out of reach even by design), while the same event resent (a retried chunk, a
// restart) has the same bytes and so the same id: normalization is deterministic. The
// auditID and stage stay in front so that an id still says which event it is.
//
// Documents without an auditID (pipeline_error documents), or with one too long for an
// id, get the hex digest alone: identical documents are then one document.
// Sematext takes its Logs App token as the index and no credential header.

var esLimits = Limits{
	DefaultBytes:  10_000_000,
	DefaultEvents: DefaultBatchEvents,
	MaxBytes:      100 << 20,
	Source:        "Elasticsearch's default http.max_content_length of 100mb per request",
}

// esFilterPath keeps bulk answers small: per item, only the status and the error.
const esFilterPath = "errors,items.*.status,items.*.error.type,items.*.error.reason,items.*.error.caused_by.reason"

// esMaxID is Elasticsearch's limit on _id (bytes); longer keys fall back to the hash.
const esMaxID = 512

// esDigestLen is the digest after the key in an _id: 16 bytes in base64url, no padding.
var esDigestLen = base64.RawURLEncoding.EncodedLen(esDigestBytes)

const esDigestBytes = sha256.Size / 2

// esKeyFits says whether key goes in the _id in front of the digest.
func esKeyFits(key []byte) bool { return len(key) > 0 && len(key)+1+esDigestLen <= esMaxID }

// esAnswerKeep bounds a bulk answer read in full (about 30 bytes per item with
// esFilterPath, plus error texts). A longer answer cannot be read per item: the request
// is retried, and the documents it indexed are then answered 409.
const esAnswerKeep = 32 << 20

type esFraming struct {
	prefix []byte // {"create":{"_index":"<index>","_id":
}

func newElasticsearch(o *Options) (*intakeDef, error) {
	fr := esFraming{}
	fr.prefix = append(fr.prefix, `{"create":{"_index":`...)
	fr.prefix = appendJSONBytes(fr.prefix, []byte(o.Index))
	fr.prefix = append(fr.prefix, `,"_id":`...)
	q := url.Values{}
	q.Set("filter_path", esFilterPath)
	if o.Pipeline != "" {
		q.Set("pipeline", o.Pipeline)
	}
	return &intakeDef{
		name: "elasticsearch", fr: fr,
		path: "/_bulk", query: q.Encode(),
		credential: "Authorization", scheme: "ApiKey ",
		items:      esItems,
		answerKeep: esAnswerKeep,
	}, nil
}

func (esFraming) ContentType() string           { return "application/x-ndjson" }
func (esFraming) AppendOpen(dst []byte) []byte  { return dst }
func (esFraming) AppendClose(dst []byte) []byte { return dst }
func (esFraming) EnvelopeLen() int              { return 0 }
func (esFraming) Limits() Limits                { return esLimits }

func (f esFraming) DocLen(d *Docs, k int, _ bool) int {
	id := 2 + 2*esDigestBytes // quoted 32 hex digits
	if key := d.Key(k); esKeyFits(key) {
		id = jsonStringLen(key) + 1 + esDigestLen
	}
	return len(f.prefix) + id + len("}}\n") + len(d.Doc(k)) + 1
}

func (f esFraming) AppendDoc(dst []byte, d *Docs, k int, _ bool) []byte {
	dst = append(dst, f.prefix...)
	doc := d.Doc(k)
	sum := sha256.Sum256(doc)
	if key := d.Key(k); esKeyFits(key) {
		dst = appendJSONBytes(dst, key)
		dst[len(dst)-1] = '-' // the closing quote goes after the digest
		var b [32]byte
		base64.RawURLEncoding.Encode(b[:esDigestLen], sum[:esDigestBytes])
		dst = append(dst, b[:esDigestLen]...)
		dst = append(dst, '"')
	} else {
		var h [2 * esDigestBytes]byte
		hex.Encode(h[:], sum[:esDigestBytes])
		dst = append(dst, '"')
		dst = append(dst, h[:]...)
		dst = append(dst, '"')
	}
	dst = append(dst, "}}\n"...)
	dst = append(dst, doc...)
	return append(dst, '\n')
}

// esItem is one item of a bulk answer, under its action name.
type esItem struct {
	Status int `json:"status"`
	Error  *struct {
		Type     string `json:"type"`
		Reason   string `json:"reason"`
		CausedBy *struct {
			Reason string `json:"reason"`
		} `json:"caused_by"`
	} `json:"error"`
}

// esItems reads a bulk answer. A 2xx answer with "errors":false delivers the request; with
// "errors":true each item decides for its document:
//
//	2xx                      delivered
//	409 (create)             already indexed: delivered
//	408, 429, 5xx, none      retried alone after a backoff
//	401, 403, 404, 405, 407  permission refused (no create_doc), index missing: kept, loud
//	other 4xx                dead-lettered with "<status> <type>: <reason>"
//
// An answer that cannot be read (not JSON, cut short, or with a different number of
// items) retries the request: the documents it did index come back 409.
func esItems(a Answer, v verdict, fates []itemFate) verdict {
	if v != vDelivered {
		return v
	}
	var head struct {
		Errors *bool `json:"errors"`
	}
	if err := json.Unmarshal(a.Body, &head); err != nil || head.Errors == nil {
		return vRetry
	}
	if !*head.Errors {
		return vDelivered
	}
	var full struct {
		Items []map[string]esItem `json:"items"`
	}
	if err := json.Unmarshal(a.Body, &full); err != nil || len(full.Items) != len(fates) {
		return vRetry
	}
	for i, m := range full.Items {
		var it esItem
		for _, v := range m { // one action per item
			it = v
		}
		fates[i] = esFate(it)
	}
	return vItems
}

func esFate(it esItem) itemFate {
	s := it.Status
	switch {
	case s >= 200 && s < 300:
		return itemFate{fate: fDone, status: s}
	case s == 409:
		return itemFate{fate: fAlready, status: s}
	case s == 0 || s == 408 || s == 429 || s >= 500:
		return itemFate{fate: fRetry, status: s, reason: esReason(it)}
	case s == 401 || s == 403 || s == 404 || s == 405 || s == 407:
		// A refused privilege, or a missing index that may not be auto-created: the
		// configuration, not the document; kept like a whole-request 401/404.
		return itemFate{fate: fAuth, status: s, reason: esReason(it)}
	}
	return itemFate{fate: fReject, status: s, reason: esReason(it)}
}

func esReason(it esItem) string {
	r := fmt.Sprintf("bulk item %d", it.Status)
	if e := it.Error; e != nil {
		r += " " + e.Type + ": " + e.Reason
		if e.CausedBy != nil && e.CausedBy.Reason != "" {
			r += " (caused by: " + e.CausedBy.Reason + ")"
		}
	}
	return clip(r, 300)
}

// clip cuts s to at most n bytes on a character boundary, on one line.
func clip(s string, n int) string {
	s = oneLine([]byte(s))
	if len(s) <= n {
		return s
	}
	b := []byte(s[:n])
	for len(b) > 0 && !utf8.Valid(b) {
		b = b[:len(b)-1]
	}
	return string(b) + "…"
}
