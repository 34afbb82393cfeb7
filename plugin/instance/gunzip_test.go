package instance

import (
	"bytes"
	"io"

	"github.com/klauspost/compress/gzip"
)

func gunzip(body []byte, enc string) []byte {
	if enc != "gzip" {
		return append([]byte(nil), body...)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		panic(err)
	}
	return out
}
