package normalize

import (
	"bytes"
	"encoding/binary"

	"github.com/k8saudit/k8saudit/internal/jsonw"
)

// unescape appends the unescaped content of a JSON string (without quotes) to dst, as
// encoding/json decodes it (jsonw.AppendUnescaped: the one unescaper of the repository).
func unescape(dst, s []byte) []byte { return jsonw.AppendUnescaped(dst, s) }

func hex4(s []byte) (rune, bool) { return jsonw.Hex4(s) }

func indexByte(b []byte, c byte) int { return bytes.IndexByte(b, c) }

func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }
