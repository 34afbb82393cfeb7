package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// Sink is the local intake: an HTTP server that answers 200 to every POST and counts the
// documents it received, one per line of the (gunzipped) body, which is what both
// ndjson (the plugin) and json_lines (Fluent Bit's out_http) send. It streams every body, so
// that the benchmark process stays small next to the Fluent Bit it measures.
type Sink struct {
	URL  string
	srv  *http.Server
	docs atomic.Int64
	reqs atomic.Int64
	wire atomic.Int64 // bytes of request bodies as sent (compressed or not)
	bad  atomic.Int64 // requests whose body could not be read
}

// NewSink listens on a free local port.
func NewSink() (*Sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sink: %w", err)
	}
	s := &Sink{URL: "http://" + ln.Addr().String()}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n, err := s.count(r)
	if err != nil {
		s.bad.Add(1)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.docs.Add(n)
	s.reqs.Add(1)
	w.WriteHeader(http.StatusOK)
}

func (s *Sink) count(r *http.Request) (int64, error) {
	wire := &countingReader{r: r.Body}
	var body io.Reader = wire
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(wire)
		if err != nil {
			return 0, fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		body = zr
	}
	// Neither framing writes empty lines: a document is a newline, or the bytes after the
	// last one.
	buf := make([]byte, 256<<10)
	var n int64
	var last byte = '\n'
	for {
		k, err := body.Read(buf)
		if k > 0 {
			n += int64(bytes.Count(buf[:k], []byte("\n")))
			last = buf[k-1]
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("reading the body: %w", err)
		}
	}
	if last != '\n' {
		n++
	}
	s.wire.Add(wire.n)
	return n, nil
}

// Docs is the number of documents received so far.
func (s *Sink) Docs() int64 { return s.docs.Load() }

// Reset zeroes the counters between runs.
func (s *Sink) Reset() {
	s.docs.Store(0)
	s.reqs.Store(0)
	s.wire.Store(0)
	s.bad.Store(0)
}

// Close stops the server.
func (s *Sink) Close() error { return s.srv.Close() }

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
