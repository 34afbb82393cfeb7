package kafka

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"

	"github.com/valyala/fastjson"
)

// digestBytes of the document's SHA-256 go into the event id: 128 bits, so that no one
// can make a different document carry the id of an event already produced.
const digestBytes = 16

var digestLen = base64.RawURLEncoding.EncodedLen(digestBytes)

type digest [digestBytes]byte

func docDigest(doc []byte) digest {
	sum := sha256.Sum256(doc)
	var d digest
	copy(d[:], sum[:digestBytes])
	return d
}

// appendEventID appends auditID-stage-digest (key is Docs.Key: auditID-stage, or empty
// for a document without an auditID, which then gets the digest alone). The same
// document always gets the same id, across retries and restarts: a consumer deduplicates
// on it. The auditID alone would not do: clients choose it (Audit-ID header), so a
// reused auditID must not make a different event look like a duplicate, nor, on a
// compacted topic, replace it.
func appendEventID(dst, key []byte, d digest) []byte {
	if len(key) > 0 {
		dst = append(dst, key...)
		dst = append(dst, '-')
	}
	n := len(dst)
	dst = append(dst, make([]byte, digestLen)...)
	base64.RawURLEncoding.Encode(dst[n:], d[:])
	return dst
}

// objectPaths are where a document names its object: ECS (orchestrator.*) first, then
// format raw (objectRef.*).
var objectPaths = [...][3][]string{
	{{"orchestrator", "namespace"}, {"orchestrator", "resource", "type"}, {"orchestrator", "resource", "name"}},
	{{"objectRef", "namespace"}, {"objectRef", "resource"}, {"objectRef", "name"}},
}

// appendObjectKey appends namespace/resource/name of the document's object and reports
// whether it found a resource. Lists and creates without a name key on namespace/resource/.
func appendObjectKey(dst []byte, p *fastjson.Parser, doc []byte) ([]byte, bool) {
	v, err := p.ParseBytes(doc)
	if err != nil {
		return dst, false
	}
	for _, paths := range objectPaths {
		res := v.GetStringBytes(paths[1]...)
		if len(res) == 0 {
			continue
		}
		dst = append(dst, v.GetStringBytes(paths[0]...)...)
		dst = append(dst, '/')
		dst = append(dst, res...)
		dst = append(dst, '/')
		dst = append(dst, v.GetStringBytes(paths[2]...)...)
		return dst, true
	}
	return dst, false
}

var kindMark = []byte(`"event":{"kind":"`)

// eventKind returns the value of event.kind when the document starts the way the ECS
// writer writes it ({"@timestamp":"…","event":{"kind":"…"); nil otherwise. Only the
// first bytes are looked at: an attacker's text inside the event comes later.
func eventKind(doc []byte) []byte {
	head := doc
	if len(head) > 128 {
		head = head[:128]
	}
	i := bytes.Index(head, kindMark)
	if i < 0 {
		return nil
	}
	rest := doc[i+len(kindMark):]
	if j := bytes.IndexByte(rest, '"'); j > 0 && j < 32 {
		return rest[:j]
	}
	return nil
}
