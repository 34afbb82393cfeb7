package deliver

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"

	"github.com/k8saudit/k8saudit/plugin/logging"
)

// Result is the outcome of one Deliver, mapped by the plugin to a Fluent Bit code.
type Result int

const (
	Delivered Result = iota // FLB_OK: every document accepted or set aside
	Retry                   // FLB_RETRY: keep the chunk and call again later
	Failed                  // FLB_ERROR: nothing more can be done for the chunk
)

func (r Result) String() string {
	switch r {
	case Delivered:
		return "delivered"
	case Retry:
		return "retry"
	case Failed:
		return "failed"
	}
	return "unknown"
}

// Stats are the Sender's counters since New.
type Stats struct {
	Delivered    uint64 // documents accepted by the intake (Already included)
	Already      uint64 // documents the intake already had (Elasticsearch 409 on create)
	DeadLettered uint64 // documents permanently rejected (written to the dead-letter file, or only logged without one)
	Requests     uint64 // requests sent, every attempt counted
	Retries      uint64 // attempts that repeated a request after a retryable answer
	Skipped      uint64 // requests not sent because the same body was already done
	SkippedDocs  uint64 // documents in those requests
	BytesSent    uint64 // request body bytes on the wire (compressed when gzip is on)
	BytesRaw     uint64 // the same bodies before compression
	// PartialRejected counts documents of accepted requests that the intake said it dropped
	// (OTLP partialSuccess.rejectedLogRecords); they are in Delivered too, since the
	// intake forbids sending them again.
	PartialRejected uint64
	// DeadLetteredBy splits DeadLettered by why, indexed by DeadLetterReason.
	DeadLetteredBy [NumDeadLetterReasons]uint64
}

type counters struct {
	delivered, already, deadLettered, requests, retries, skipped, skippedDocs, bytesSent, bytesRaw, partialRejected atomic.Uint64
	deadBy                                                                                                          [NumDeadLetterReasons]atomic.Uint64
}

// deadLetter counts n documents set aside for why.
func (c *counters) deadLetter(why DeadLetterReason, n int) {
	c.deadBy[why].Add(uint64(n))
	c.deadLettered.Add(uint64(n))
}

// Sender delivers chunks to one intake. It is safe for concurrent use.
type Sender struct {
	o       Options
	in      *intakeDef
	lim     Limits
	poster  Poster
	http    *httpPoster // nil unless the real transport is in use
	log     Logger
	pool    scratchPool
	mem     *memory
	prog    *progress
	dl      *deadLetter // nil without a dead-letter file
	scrub   scrubber    // removes credentials from answer texts before logs and dead letters
	stats   counters
	inFlush bool // whether retryable answers are retried in the flush (not for stdout)
}

// New checks the options, builds the transport (TLS from the URL scheme) and opens the
// dead-letter file. The error names the option at fault.
func New(o Options) (*Sender, error) {
	if o.Logger == nil {
		o.Logger = logging.Discard()
	}
	in, err := o.normalize()
	if err != nil {
		return nil, err
	}
	s := &Sender{o: o, in: in, lim: in.fr.Limits(), log: o.Logger, mem: newMemory(memoryEntries), prog: newProgress(progressEntries), inFlush: o.RetryBudget > 0, scrub: newScrubber(&o)}
	s.pool = newScratchPool(o.CompressLevel)
	switch {
	case o.Intake == "stdout":
		w := o.Stdout
		if w == nil {
			w = os.Stdout
		}
		s.poster = &stdoutPoster{w: w}
		s.inFlush = false
	case o.Poster != nil:
		s.poster = o.Poster
	default:
		hp, err := newHTTPPoster(&s.o, in)
		if err != nil {
			return nil, err
		}
		s.poster, s.http = hp, hp
		if isHTTPS(o.URL) && !o.TLSVerify {
			s.log.Warnf("tls_verify is off: the intake's certificate is not checked")
		}
		if !isHTTPS(o.URL) && (o.TLSCAFile != "" || o.TLSCrtFile != "" || o.TLSServerName != "") {
			s.log.Warnf("tls_* options are ignored: url %s is not https", RedactURL(o.URL))
		}
		if o.APIKey != "" && o.HTTPUser != "" {
			s.log.Warnf("api_key and http_user are both set: sending the API key, not basic auth")
		}
		if what := plainCredentials(&o); what != "" {
			s.log.Warnf("%s sent over plain http:// to %s, which is not this machine: anyone on the path can read it; use an https:// url", what, RedactURL(o.URL))
		}
	}
	if o.DeadLetterFile != "" {
		if s.dl, err = openDeadLetter(o.DeadLetterFile, o.DeadLetterMaxBytes); err != nil {
			if s.http != nil {
				s.http.close()
			}
			return nil, err
		}
	}
	return s, nil
}

func isHTTPS(u string) bool { return len(u) >= 8 && strings.EqualFold(u[:8], "https://") }

// plainCredentials names the credentials that would cross the network unencrypted: the
// url is http:// to a host other than this machine. "" when there are none.
func plainCredentials(o *Options) string {
	u, err := url.Parse(o.URL)
	if err != nil || !strings.EqualFold(u.Scheme, "http") || IsLoopback(u.Host) {
		return ""
	}
	var what []string
	if o.APIKey != "" {
		what = append(what, "api_key")
	}
	if o.HTTPUser != "" {
		what = append(what, "http_user/http_passwd")
	}
	if u.User != nil {
		what = append(what, "the url's userinfo")
	}
	for _, h := range o.Headers {
		if credentialHeader(h[0]) {
			what = append(what, "header "+h[0])
		}
	}
	if len(what) == 0 {
		return ""
	}
	return "credentials (" + strings.Join(what, ", ") + ") are"
}

// credentialHeader reports whether a header name suggests it carries a credential.
func credentialHeader(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"auth", "key", "token", "secret", "passw", "cookie", "session", "signature", "credential"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// Deliver sends the documents of one chunk and returns what Fluent Bit should do with
// it. It returns only when every request is settled: nothing runs after it.
func (s *Sender) Deliver(ctx context.Context, docs *Docs) Result {
	if docs == nil || docs.Len() == 0 {
		return Delivered
	}
	if ctx == nil {
		ctx = context.Background()
	}
	f := flush{s: s, ctx: ctx, docs: docs, sc: s.pool.get()}
	defer s.pool.put(f.sc)
	return f.run()
}

// Stats returns a snapshot of the counters.
func (s *Sender) Stats() Stats {
	c := &s.stats
	return Stats{
		Delivered:       c.delivered.Load(),
		Already:         c.already.Load(),
		DeadLettered:    c.deadLettered.Load(),
		Requests:        c.requests.Load(),
		Retries:         c.retries.Load(),
		Skipped:         c.skipped.Load(),
		SkippedDocs:     c.skippedDocs.Load(),
		BytesSent:       c.bytesSent.Load(),
		BytesRaw:        c.bytesRaw.Load(),
		PartialRejected: c.partialRejected.Load(),

		DeadLetteredBy: c.deadLetteredBy(),
	}
}

func (c *counters) deadLetteredBy() (by [NumDeadLetterReasons]uint64) {
	for i := range by {
		by[i] = c.deadBy[i].Load()
	}
	return by
}

// Close releases idle connections and closes the dead-letter file. Deliver must not be
// running or called afterwards.
func (s *Sender) Close() error {
	if s.http != nil {
		s.http.close()
	}
	if s.dl != nil {
		return s.dl.close()
	}
	return nil
}

// ForgetDelivered clears the memory of accepted requests, so that the next Deliver of the
// same documents takes the whole path again. Benchmarks and allocation tests use it to
// measure a fresh chunk's cost with the same bytes; the plugin never calls it.
func (s *Sender) ForgetDelivered() {
	s.mem.reset()
	s.prog.reset()
}

// String renders the counters for the log.
func (st Stats) String() string {
	return fmt.Sprintf("delivered=%d already=%d dead_lettered=%d partial_rejected=%d requests=%d retries=%d skipped_requests=%d skipped_docs=%d bytes_raw=%d bytes_sent=%d",
		st.Delivered, st.Already, st.DeadLettered, st.PartialRejected, st.Requests, st.Retries, st.Skipped, st.SkippedDocs, st.BytesRaw, st.BytesSent)
}

// refused is the intake's reason never to send document k ("" = it may be sent).
func (s *Sender) refused(d *Docs, k int) string {
	if s.in.refuse == nil {
		return ""
	}
	return s.in.refuse(d, k)
}
