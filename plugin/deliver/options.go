package deliver

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// Logger is the part of plugin/logging.Logger that Deliver uses, so tests can pass
// logging.Discard() or a recorder.
type Logger interface {
	Errorf(format string, args ...any)
	Warnf(format string, args ...any)
	Infof(format string, args ...any)
	Debugf(format string, args ...any)
}

// Poster sends one request body and reports the intake's answer. The HTTP transport is
// one; tests and benchmarks replace it through Options.Poster. body is only valid during
// the call: a Poster must not keep it.
type Poster interface {
	Post(ctx context.Context, body []byte, contentEncoding string) Answer
}

// Observer hears of each request attempt the Sender makes (Options.Observer). Its methods
// run on the flush's goroutine, around every Post: they must be quick, safe for concurrent
// use and allocate nothing.
type Observer interface {
	// RequestStarted: a request is about to be sent.
	RequestStarted()
	// RequestDone: its answer came back. status is the HTTP status, 0 when no answer came
	// (Answer.Err); docs the documents in the request; took the time from send to answer.
	RequestDone(status, docs int, took time.Duration)
}

// Answer is what came back for one request.
type Answer struct {
	Status     int           // HTTP status; 0 when Err is set
	RetryAfter time.Duration // from a Retry-After header (seconds or HTTP date), 0 if none
	Body       []byte        // the first few KB of the answer, for logs and dead-letter reasons
	Err        error         // transport error: reset, timeout, refused, TLS
}

// Defaults, chosen for the generic ndjson intake (docs/design.md, "Intakes").
const (
	DefaultBatchBytes    = 5_000_000 // uncompressed body bytes per request
	DefaultBatchEvents   = 10_000    // documents per request; with ~1.5 KB documents the byte cap binds first
	DefaultTimeout       = 30 * time.Second
	DefaultRetryBudget   = 10 * time.Second
	DefaultCompressLevel = 1 // fastest: CPU inside the flush matters more than a few % of bytes
	DefaultBackoff       = 250 * time.Millisecond
	DefaultBackoffMax    = 5 * time.Second
)

// Options configure a Sender. The config package fills them from the [OUTPUT] section;
// zero values take the defaults above, except the booleans, which are taken literally.
type Options struct {
	// Intake names the wire format: "ndjson" (the default when empty), "elasticsearch"
	// (also OpenSearch and Sematext), "datadog", "splunk", "sekoia" or "stdout".
	Intake string
	// URL is the http:// or https:// endpoint (not used by stdout).
	URL string
	// APIKey is the intake's credential, sent the intake's way: "Authorization: Bearer
	// <key>" (ndjson), "Authorization: ApiKey <key>" (elasticsearch), DD-API-KEY,
	// "Authorization: Splunk <token>", X-SEKOIAIO-INTAKE-KEY. When HTTPUser is set as
	// well, the API key wins and basic auth is not sent (New logs a warning).
	APIKey string
	// HTTPUser and HTTPPasswd are sent as basic auth when APIKey is empty.
	HTTPUser, HTTPPasswd string
	// Headers are extra request headers, added before the plugin's own (Content-Type,
	// Content-Encoding, Authorization when set), which therefore win.
	Headers [][2]string
	// Compress gzips request bodies (Content-Encoding: gzip). stdout never compresses.
	Compress bool
	// CompressLevel is the gzip level, 1 (fastest, default) to 9 (smallest).
	CompressLevel int
	// BatchBytes caps the uncompressed body of one request (framing included); 0 takes
	// the intake's default, and more than the intake's maximum is an error (Limits).
	BatchBytes int
	// BatchEvents caps the documents in one request, likewise.
	BatchEvents int
	// Index is the Elasticsearch index, data stream or alias (Sematext: the Logs App
	// token); Pipeline an ingest pipeline (empty: the index's default).
	Index, Pipeline string
	// DDSource (default DefaultDDSource), DDService, DDTags ("k:v,k:v") and DDHostname
	// are Datadog's reserved attributes, added to every entry when set.
	DDSource, DDService, DDTags, DDHostname string
	// SplunkIndex, SplunkSourcetype (default DefaultSplunkSourcetype), SplunkSource and
	// SplunkHost are HEC envelope fields, added to every event when set.
	SplunkIndex, SplunkSourcetype, SplunkSource, SplunkHost string
	// Timeout bounds one request: connect, TLS, send, answer headers and body.
	Timeout time.Duration
	// RetryBudget is the total time one Deliver may spend retrying requests (backoff waits
	// plus the retried attempts) before it hands the chunk back with Retry. A negative
	// value disables in-flush retries.
	RetryBudget time.Duration
	// BackoffInitial is the first wait before a retry (doubling, with jitter, up to
	// BackoffMax). Tests shorten them.
	BackoffInitial, BackoffMax time.Duration
	// TLSVerify checks the intake's certificate. It is taken literally: the config layer
	// defaults it to true, and New warns when an https URL is used without it.
	TLSVerify bool
	// TLSCAFile adds PEM CA certificates to the system roots; TLSCrtFile and TLSKeyFile are
	// a PEM client certificate and key (both or neither); TLSServerName overrides the name
	// checked in the server certificate (and sent as SNI).
	TLSCAFile, TLSCrtFile, TLSKeyFile, TLSServerName string
	// DeadLetterFile receives permanently rejected documents as NDJSON with the reason;
	// "" = log and count only. A symlink, or an existing file that group or others may
	// read or write, is refused; a new file is created 0600.
	DeadLetterFile string
	// DeadLetterMaxBytes is the size past which the dead-letter file is renamed to
	// <file>.1 (replacing the previous one) and a new file started; 0 takes
	// DefaultDeadLetterMaxBytes.
	DeadLetterMaxBytes int64
	// Stdout is where intake stdout writes (nil = os.Stdout).
	Stdout io.Writer
	// Poster replaces the HTTP transport when non-nil (tests, benchmarks).
	Poster Poster
	// Logger receives the plugin's log lines (nil = nothing is logged).
	Logger Logger
	// Wire declares an HTTP intake that lives in its own package (nil: one of the
	// intakes built in here, chosen by Intake).
	Wire *Wire
	// Observer hears of every request attempt (nil = none): the metrics' answers by
	// class, latency, documents per request and requests in flight.
	Observer Observer
}

// normalize fills defaults and checks what can be checked without touching files.
func (o *Options) normalize() (*intakeDef, error) {
	o.Intake = strings.ToLower(strings.TrimSpace(o.Intake))
	if o.Intake == "" {
		o.Intake = "ndjson"
	}
	build, ok := builders[o.Intake]
	lim := limitsByIntake[o.Intake]
	if o.Wire != nil {
		if o.Wire.Name != o.Intake || o.Wire.Framing == nil {
			return nil, fmt.Errorf("intake %q: its Wire is named %q or has no framing", o.Intake, o.Wire.Name)
		}
		build, ok, lim = func(*Options) (*intakeDef, error) { return o.Wire.def(), nil }, true, o.Wire.Framing.Limits()
	}
	if !ok {
		return nil, fmt.Errorf("intake %q is not supported (%s)", o.Intake, strings.Join(Intakes(), ", "))
	}
	var err error
	if o.BatchBytes, err = capValue("batch_bytes", o.BatchBytes, lim.DefaultBytes, lim.MaxBytes, "bytes", o.Intake, lim.Source); err != nil {
		return nil, err
	}
	if o.BatchEvents, err = capValue("batch_events", o.BatchEvents, lim.DefaultEvents, lim.MaxEvents, "documents", o.Intake, lim.Source); err != nil {
		return nil, err
	}
	switch {
	case o.CompressLevel == 0:
		o.CompressLevel = DefaultCompressLevel
	case o.CompressLevel < 1 || o.CompressLevel > 9:
		return nil, fmt.Errorf("compress_level %d is out of range 1..9", o.CompressLevel)
	}
	if o.Timeout < 0 {
		return nil, fmt.Errorf("timeout %s is negative", o.Timeout)
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.RetryBudget == 0 {
		o.RetryBudget = DefaultRetryBudget
	}
	if o.BackoffInitial <= 0 {
		o.BackoffInitial = DefaultBackoff
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = DefaultBackoffMax
	}
	if o.BackoffMax < o.BackoffInitial {
		o.BackoffMax = o.BackoffInitial
	}
	if err := CheckTLSPair(o.TLSCrtFile, o.TLSKeyFile); err != nil {
		return nil, err
	}
	if o.DeadLetterMaxBytes < 0 {
		return nil, fmt.Errorf("dead_letter_max_bytes %d is negative", o.DeadLetterMaxBytes)
	}
	if err := checkHeaders(o.Headers); err != nil {
		return nil, err
	}
	if err := CheckCredentials(o.APIKey, o.HTTPUser, o.HTTPPasswd); err != nil {
		return nil, err
	}
	in, err := build(o)
	if err != nil {
		return nil, err
	}
	if o.Intake == "stdout" {
		o.Compress = false
		return in, nil
	}
	if o.Poster != nil && o.URL == "" {
		return in, nil // a test transport needs no endpoint
	}
	// The url may carry a password or a token: errors name the rule, never the value
	// (url.Parse's own error quotes the whole url).
	u, err := url.Parse(o.URL)
	switch {
	case o.URL == "":
		return nil, fmt.Errorf("url is required for intake %s", o.Intake)
	case err != nil:
		return nil, fmt.Errorf("url cannot be parsed as a URL (value not shown: it may hold a credential)")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("url: scheme must be http or https")
	case u.Host == "":
		return nil, fmt.Errorf("url %s has no host", RedactURL(o.URL))
	}
	return in, nil
}

// controlAt is the index of the first control character of s (tab included: no
// credential has one), or -1.
func controlAt(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == 0x7f {
			return i
		}
	}
	return -1
}

// capValue applies a default and an intake's hard limit to a size option.
func capValue(key string, v, def, max int, unit, intake, source string) (int, error) {
	switch {
	case v < 0:
		return 0, fmt.Errorf("%s %d is negative", key, v)
	case v == 0:
		return def, nil
	}
	return v, CheckCap(key, v, max, unit, intake, source)
}

// checkHeaders refuses header names and values that net/http would refuse at every
// request: caught here they fail Init with a clear message instead of retrying forever.
// Neither the name nor the value is quoted: a mangled header may hold a token.
func checkHeaders(hs [][2]string) error {
	for n, h := range hs {
		if h[0] == "" {
			return fmt.Errorf("headers: header %d has an empty name", n+1)
		}
		for i := 0; i < len(h[0]); i++ {
			if !isTokenChar(h[0][i]) {
				return fmt.Errorf("headers: header %d has an invalid header name: only letters, digits and !#$%%&'*+-.^_`|~ are allowed", n+1)
			}
		}
		for i := 0; i < len(h[1]); i++ {
			if c := h[1][i]; (c < ' ' && c != '\t') || c == 0x7f {
				return fmt.Errorf("headers: header %s has a control character in its value", h[0])
			}
		}
	}
	return nil
}

// isTokenChar reports whether c may appear in an HTTP header name (RFC 9110 token).
func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
