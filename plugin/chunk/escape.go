package chunk

import "github.com/k8saudit/k8saudit/internal/jsonw"

// appendString appends s as a JSON string, escaped by the rule every package shares
// (internal/jsonw): invalid UTF-8 becomes \ufffd because a SIEM rejects or mangles invalid
// JSON text; U+2028 and U+2029 are escaped because JavaScript-based consumers treat them
// as line ends.
func appendString(dst, s []byte) []byte { return jsonw.AppendQuoted(dst, s) }
