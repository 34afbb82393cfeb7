package syslog

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/k8saudit/k8saudit/plugin/deliver"
)

// writeChunk is the size of one socket write: messages are gathered up to it, so a
// chunk of small documents costs few system calls, and one write's deadline covers at
// most this much of a slow receiver's window.
const writeChunk = 64 << 10

// Backoff between reconnections within a flush.
const (
	backoffMin = 100 * time.Millisecond
	backoffMax = 5 * time.Second
)

// Counters are the syslog intake's own counters, beyond deliver.Stats.
type Counters struct {
	Truncated    uint64 // messages whose body was cut at max_message_bytes (counted once per Deliver)
	Fixed        uint64 // bodies with a raw CR/LF replaced under newline framing (never for our documents)
	Connects     uint64 // connections established
	Failures     uint64 // connections that failed during a flush (write error, reset, no acknowledgement)
	MaybeDupDocs uint64 // messages written on a connection that then failed: sent again, so possibly twice
}

type counters struct {
	delivered, requests, retries, bytesSent, bytesRaw atomic.Uint64
	truncated, fixed, connects, failures, maybeDup    atomic.Uint64
}

// Shipper sends chunks of documents to one syslog receiver over one connection. It is
// safe for concurrent use: flushes are serialized, since messages of two chunks must
// not interleave on the stream and the chunk is the unit that is resent.
type Shipper struct {
	s      settings
	tlsCfg *tls.Config
	log    deliver.Logger

	mu     sync.Mutex
	conn   net.Conn
	raw    syscall.RawConn // the TCP socket under conn, for the acknowledgement checks
	fm     *formatter
	out    []byte
	closed bool

	st counters
}

// New checks o and returns a Shipper; it does not connect (the first Deliver does), so
// a receiver that is down at start only delays the first chunk.
func New(o Options) (*Shipper, error) {
	s, err := check(o)
	if err != nil {
		return nil, fmt.Errorf("syslog: %w", err)
	}
	sh := &Shipper{s: s, log: o.Logger}
	sh.fm = newFormatter(&sh.s)
	if s.tls {
		if sh.tlsCfg, err = tlsConfig(&sh.s); err != nil {
			return nil, fmt.Errorf("syslog: %w", err)
		}
		if !s.verify {
			sh.logf(warn, "syslog: tls_verify is off: the receiver %s is not authenticated, anyone on the path can read the audit events", s.Address)
		}
	}
	return sh, nil
}

func tlsConfig(s *settings) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: !s.verify} //nolint:gosec // the user's choice, warned about at New
	if s.TLSServerName != "" {
		cfg.ServerName = s.TLSServerName
	} else {
		host, _, _ := net.SplitHostPort(s.Address)
		cfg.ServerName = host
	}
	if s.TLSCAFile != "" {
		pem, err := os.ReadFile(s.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls_ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls_ca_file %s: no PEM certificate in it", s.TLSCAFile)
		}
		cfg.RootCAs = pool
	}
	if s.TLSCrtFile != "" {
		c, err := tls.LoadX509KeyPair(s.TLSCrtFile, s.TLSKeyFile)
		if err != nil {
			// The error of LoadX509KeyPair never quotes the key's bytes.
			return nil, fmt.Errorf("tls_crt_file/tls_key_file: %w", err)
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	return cfg, nil
}

const (
	warn = iota
	info
)

func (sh *Shipper) logf(level int, format string, args ...any) {
	if sh.log == nil {
		return
	}
	if level == warn {
		sh.log.Warnf(format, args...)
	} else {
		sh.log.Infof(format, args...)
	}
}

// Deliver sends every document of docs, in order, as one syslog message each, and
// returns Delivered once all of them were written and the receiver's TCP stack
// acknowledged every byte (see the package doc for what that does and does not prove).
// On a failure it reconnects with backoff and sends the whole chunk again, within
// retry_budget; after that, or when ctx ends, it returns Retry.
func (sh *Shipper) Deliver(ctx context.Context, docs *deliver.Docs) deliver.Result {
	if docs == nil || docs.Len() == 0 {
		return deliver.Delivered
	}
	if ctx == nil {
		ctx = context.Background()
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.closed {
		return deliver.Retry
	}
	end := time.Now().Add(sh.s.RetryBudget)
	for attempt := 0; ; attempt++ {
		started := time.Now()
		if sh.s.Observer != nil {
			sh.s.Observer.RequestStarted()
		}
		written, err := sh.send(ctx, docs, attempt == 0)
		if sh.s.Observer != nil {
			// One "request" per attempt at the chunk: 2xx when every byte was
			// acknowledged, "error" (0) when the attempt failed.
			status := 200
			if err != nil {
				status = 0
			}
			sh.s.Observer.RequestDone(status, docs.Len(), time.Since(started))
		}
		if err == nil {
			sh.st.delivered.Add(uint64(docs.Len()))
			sh.st.bytesRaw.Add(uint64(docs.Bytes()))
			return deliver.Delivered
		}
		sh.drop()
		if written > 0 {
			sh.st.failures.Add(1)
			sh.st.maybeDup.Add(uint64(written))
		}
		if ctx.Err() != nil {
			sh.logf(warn, "syslog: %s: %v; the chunk goes back to Fluent Bit (%d of %d messages were written)", sh.s.Address, err, written, docs.Len())
			return deliver.Retry
		}
		wait := backoffMin << min(attempt, 6)
		wait = min(wait, backoffMax)
		wait = wait/2 + rand.N(wait/2+1) // jitter: reconnecting forwarders do not beat in step
		if time.Now().Add(wait).After(end) {
			sh.logf(warn, "syslog: %s: %v; retry budget spent, the chunk goes back to Fluent Bit (%d of %d messages were written)", sh.s.Address, err, written, docs.Len())
			return deliver.Retry
		}
		sh.logf(warn, "syslog: %s: %v; reconnecting in %s and sending the chunk again (%d of %d messages were written)", sh.s.Address, err, wait.Round(time.Millisecond), written, docs.Len())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return deliver.Retry
		case <-t.C:
		}
		sh.st.retries.Add(1)
	}
}

// send writes the chunk on the connection (connecting first when there is none) and
// waits for the acknowledgements. written counts the messages handed to the socket
// before an error: they may have reached the receiver.
func (sh *Shipper) send(ctx context.Context, docs *deliver.Docs, first bool) (written int, err error) {
	if sh.conn != nil && peer(sh.raw) != peerAlive {
		sh.drop() // closed by the receiver while idle: reconnect before writing, not after
	}
	if sh.conn == nil {
		if err := sh.connect(ctx); err != nil {
			return 0, err
		}
	}
	out := sh.out[:0]
	pending := 0 // messages in out
	truncated := 0
	for i := 0; i < docs.Len(); i++ {
		var cut, fixed bool
		out, cut, fixed = sh.fm.appendFrame(out, docs.Doc(i), docs.Time(i))
		pending++
		if first && cut {
			truncated++
			sh.st.truncated.Add(1)
		}
		if first && fixed {
			sh.st.fixed.Add(1)
		}
		if len(out) >= writeChunk || i == docs.Len()-1 {
			if err := sh.write(out); err != nil {
				sh.out = out[:0]
				return written + pending, err // a partial write may have put part of any of them on the wire
			}
			written += pending
			pending = 0
			out = out[:0]
			if err := ctx.Err(); err != nil {
				sh.out = out
				return written, err
			}
		}
	}
	sh.out = out[:0]
	if truncated > 0 {
		sh.logf(warn, "syslog: %d message(s) of this chunk cut to syslog_max_message_bytes=%d (marked %s and truncated= in the structured data)", truncated, sh.s.MaxMessageBytes, markerKey)
	}
	if err := sh.drain(ctx); err != nil {
		return written, err
	}
	return written, nil
}

func (sh *Shipper) write(b []byte) error {
	if err := sh.conn.SetWriteDeadline(time.Now().Add(sh.s.Timeout)); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	n, err := sh.conn.Write(b)
	sh.st.requests.Add(1)
	sh.st.bytesSent.Add(uint64(n))
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// drain waits until the receiver's TCP stack has acknowledged every byte written, for
// as long as the acknowledgements make progress: a slow receiver is waited for, one that
// acknowledges nothing for Timeout, or resets, fails the attempt.
func (sh *Shipper) drain(ctx context.Context) error {
	last, ok := unacked(sh.raw)
	if !ok {
		return nil // no acknowledgement count on this system: written is all we know
	}
	deadline := time.Now().Add(sh.s.Timeout)
	pause := 50 * time.Microsecond
	for n := last; n > 0; {
		if st := peer(sh.raw); st != peerAlive {
			return fmt.Errorf("connection %s by the receiver with %d bytes unacknowledged", st, n)
		}
		if n < last {
			last, deadline = n, time.Now().Add(sh.s.Timeout)
		} else if time.Now().After(deadline) {
			return fmt.Errorf("receiver acknowledged nothing for %s (%d bytes unacknowledged)", sh.s.Timeout, n)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		time.Sleep(pause)
		pause = min(pause*2, 10*time.Millisecond)
		if n, ok = unacked(sh.raw); !ok {
			return errors.New("connection lost while waiting for acknowledgements")
		}
	}
	switch peer(sh.raw) {
	case peerReset:
		// Every byte was acknowledged, then the receiver reset: a receiver that closes
		// with unread data resets, so the end of the chunk may sit unread in its buffer.
		return errors.New("connection reset by the receiver after the chunk was acknowledged")
	case peerClosed:
		// A clean end after every acknowledgement: the receiver read everything (with
		// unread data it would have reset). Delivered; the next chunk reconnects.
		sh.drop()
	}
	return nil
}

func (sh *Shipper) connect(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, sh.s.Timeout)
	defer cancel()
	d := net.Dialer{KeepAlive: 30 * time.Second}
	c, err := d.DialContext(ctx, "tcp", sh.s.Address)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		c.Close()
		return errors.New("connect: not a TCP connection")
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		c.Close()
		return fmt.Errorf("connect: %w", err)
	}
	if sh.tlsCfg != nil {
		t := tls.Client(c, sh.tlsCfg)
		if err := t.HandshakeContext(ctx); err != nil {
			c.Close()
			return fmt.Errorf("tls handshake: %w", err)
		}
		c = t
	}
	sh.conn, sh.raw = c, raw
	sh.st.connects.Add(1)
	return nil
}

// drop closes the connection, if any.
func (sh *Shipper) drop() {
	if sh.conn != nil {
		_ = sh.conn.Close()
		sh.conn, sh.raw = nil, nil
	}
}

// Stats returns the counters in the shape every intake shares: Delivered documents,
// Requests = socket writes, Retries = resends of a chunk after a failed connection,
// BytesSent = framed bytes written, BytesRaw = document bytes delivered.
func (sh *Shipper) Stats() deliver.Stats {
	c := &sh.st
	return deliver.Stats{
		Delivered: c.delivered.Load(),
		Requests:  c.requests.Load(),
		Retries:   c.retries.Load(),
		BytesSent: c.bytesSent.Load(),
		BytesRaw:  c.bytesRaw.Load(),
	}
}

// Counters returns the syslog intake's own counters.
func (sh *Shipper) Counters() Counters {
	c := &sh.st
	return Counters{
		Truncated:    c.truncated.Load(),
		Fixed:        c.fixed.Load(),
		Connects:     c.connects.Load(),
		Failures:     c.failures.Load(),
		MaybeDupDocs: c.maybeDup.Load(),
	}
}

// Close closes the connection; a Deliver after Close returns Retry.
func (sh *Shipper) Close() error {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.closed = true
	if sh.conn == nil {
		return nil
	}
	err := sh.conn.Close()
	sh.conn, sh.raw = nil, nil
	if err != nil {
		return fmt.Errorf("syslog: close: %w", err)
	}
	return nil
}
