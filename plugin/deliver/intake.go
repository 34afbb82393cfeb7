package deliver

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// intakeDef is what the core knows about one intake: its framing and limits, where and how
// a request goes, and, for intakes that answer per document, how to read that answer.
// What an intake requires of its keys (a credential, an index) is checked once, by its
// package in plugin/intake/<name>, before the options reach New.
type intakeDef struct {
	name string
	fr   Framing
	// path is appended to the url unless the url already ends with it (or with one of
	// alsoPaths); query is added to the url's query, already encoded.
	path      string
	alsoPaths []string
	query     string
	// credential is the header that carries Options.APIKey ("" = Bearer api_key, or basic
	// auth when only http_user is set). scheme prefixes the key ("ApiKey ", "Splunk ").
	credential, scheme string
	// items reads an answer that may speak per document (nil: whole-request answers only).
	// It returns vItems after filling fates (one per document of the request, in order),
	// or a verdict for the whole request (v unchanged, vRetry for an unreadable answer,
	// vConfig for an answer that names a configuration error).
	items func(a Answer, v verdict, fates []itemFate) verdict
	// answerKeep is how much of an answer is read; per-item answers need all of it.
	answerKeep int
	// answer reads a 2xx answer for documents accepted but dropped (Wire.Answer).
	answer func(body []byte) (rejected int, msg string)
	// refuse says why a document is never sent (Wire.Refuse); nil: none is.
	refuse func(d *Docs, k int) string
	// nowParam is Wire.NowParam.
	nowParam string
	// retryable is Wire.Retryable.
	retryable func(status int) bool
}

// Wire is an HTTP intake declared outside this package (plugin/intake/<name>): what the
// core needs to frame, address and authenticate its requests. Its answers are read as
// whole-request answers (the status table in classify.go); an intake that answers per
// document needs the unexported items reader, and lives here for now. Set it in
// Options.Wire from the intake's Configure; Options.Intake must then be Wire.Name.
type Wire struct {
	Name    string
	Framing Framing // content type, body envelope, per-document framing, limits
	// Path is appended to the url unless the url already ends with it or with one of
	// AlsoPaths; Query is added to the url's query, already encoded.
	Path      string
	AlsoPaths []string
	Query     string
	// Credential is the header that carries Options.APIKey ("" = Authorization: Bearer,
	// or basic auth when only http_user is set); Scheme prefixes the key ("Splunk ").
	Credential, Scheme string
	// Answer, when set, reads the body of a 2xx answer (its first answerKeep bytes) for
	// what the intake accepted but dropped: OTLP's partialSuccess. rejected documents
	// of the request were dropped by the intake, which says not which ones and that they
	// must not be sent again; msg is its reason. They are counted in Stats.PartialRejected and
	// logged (msg cleaned of credentials, like every answer text); the request is done.
	Answer func(body []byte) (rejected int, msg string)
	// Refuse, when set, is asked about each document before it is batched: a reason
	// ("" = none) sets the document aside for good, to the dead-letter file with the
	// reason (counted as refused), and the chunk goes on. An intake that ships only audit
	// events refuses pipeline_error documents this way. It must not allocate.
	Refuse func(d *Docs, k int) string
	// NowParam, when set, is a query parameter added to every request with the time it is
	// sent, in Unix milliseconds (Mezmo's now, from which it measures clock drift).
	NowParam string
	// Retryable, when set, narrows which statuses the common table retries (408, 429,
	// 5xx): a status it returns false for is permanent for the batch (dead letter).
	// OTLP/HTTP allows retrying only 429, 502, 503 and 504; the Collector answers 500 for
	// a pipeline's permanent error, which the common table would retry forever. Network
	// errors (no status) are always retried; 401/403/404/405/407 keep the chunk as ever.
	Retryable func(status int) bool
}

func (w *Wire) def() *intakeDef {
	return &intakeDef{name: w.Name, fr: w.Framing, path: w.Path, alsoPaths: w.AlsoPaths, query: w.Query,
		credential: w.Credential, scheme: w.Scheme, answerKeep: answerKeep, answer: w.Answer, refuse: w.Refuse, nowParam: w.NowParam, retryable: w.Retryable}
}

// fate is what a per-item answer says about one document.
type fate uint8

const (
	fDone    fate = iota // accepted
	fAlready             // the intake already had it (Elasticsearch 409 on create): delivered
	fRetry               // transient for this document: resend it, with the others, after a backoff
	fResend              // not processed (Splunk, after the invalid event): resend it now
	fReject              // permanent: dead-letter it with the reason
	fAuth                // permission refused or index missing for this document: keep the chunk, say it loudly
)

// itemFate is one document's fate with the intake's status and reason.
type itemFate struct {
	fate   fate
	status int
	reason string
}

// builders make an intake from the options (after defaults): one per intake name.
var builders = map[string]func(o *Options) (*intakeDef, error){
	"ndjson":        newNDJSON,
	"stdout":        newNDJSON,
	"elasticsearch": newElasticsearch,
	"datadog":       newDatadog,
	"splunk":        newSplunk,
	"sekoia":        newSekoia,
}

// limitsByIntake are the documented limits, shared with the config package.
var limitsByIntake = map[string]Limits{
	"ndjson":        ndjsonLimits,
	"stdout":        ndjsonLimits,
	"elasticsearch": esLimits,
	"datadog":       ddLimits,
	"splunk":        splunkLimits,
	"sekoia":        sekoiaLimits,
}

// IntakeLimits returns the request limits of an intake (defaults and hard maxima).
func IntakeLimits(name string) (Limits, bool) {
	l, ok := limitsByIntake[strings.ToLower(strings.TrimSpace(name))]
	return l, ok
}

// Intakes lists the supported intake names, sorted.
func Intakes() []string {
	out := make([]string, 0, len(builders))
	for k := range builders {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func newNDJSON(*Options) (*intakeDef, error) {
	return &intakeDef{name: "ndjson", fr: ndjsonFraming{}, answerKeep: answerKeep}, nil
}

// endpoint is the request URL: base with the intake's path and query.
func (in *intakeDef) endpoint(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("url cannot be parsed as a URL (value not shown: it may hold a credential)")
	}
	if in.path != "" {
		p := strings.TrimRight(u.Path, "/")
		has := strings.HasSuffix(p, in.path)
		for _, alt := range in.alsoPaths {
			has = has || strings.HasSuffix(p, alt)
		}
		if !has {
			u.Path = p + in.path
			u.RawPath = ""
		}
	}
	if in.query != "" {
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += in.query
	}
	return u.String(), nil
}
