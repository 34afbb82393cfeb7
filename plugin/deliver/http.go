package deliver

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	answerKeep  = 4 << 10  // bytes of an answer kept for logs and dead-letter reasons
	answerDrain = 64 << 10 // bytes read past that so the connection can be reused
	userAgent   = "k8saudit"
)

// httpPoster is the real transport: one POST per call on a shared keep-alive client.
type httpPoster struct {
	client      *http.Client
	url         string
	logURL      string      // url without userinfo or query, for errors that reach the logs
	host        string      // a Host header from Options.Headers, which net/http takes from req.Host
	header      http.Header // extra headers and auth, built once
	contentType string
	keep        int    // bytes of an answer kept (whole bulk answers for per-item intakes)
	nowParam    string // Wire.NowParam: a query parameter set to the send time
}

func newHTTPPoster(o *Options, in *intakeDef) (*httpPoster, error) {
	endpoint, err := in.endpoint(o.URL)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tc, err := tlsConfig(o)
	if err != nil {
		return nil, err
	}
	tr.TLSClientConfig = tc
	tr.ForceAttemptHTTP2 = true  // a custom TLS config would otherwise turn HTTP/2 off
	tr.MaxIdleConnsPerHost = 16  // one per Fluent Bit worker is plenty
	tr.DisableCompression = true // we read only a few KB of the answer
	tr.ResponseHeaderTimeout = o.Timeout

	p := &httpPoster{
		client: &http.Client{
			Transport: tr,
			Timeout:   o.Timeout,
			// A 301/302 would turn the POST into a GET without body: let classify see it.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		url:         endpoint,
		logURL:      RedactURL(endpoint),
		header:      make(http.Header),
		contentType: in.fr.ContentType(),
		keep:        max(in.answerKeep, answerKeep),
		nowParam:    in.nowParam,
	}
	p.header.Set("User-Agent", userAgent)
	for _, h := range o.Headers {
		if http.CanonicalHeaderKey(h[0]) == "Host" {
			p.host = h[1]
			continue
		}
		p.header.Add(h[0], h[1])
	}
	switch {
	case o.APIKey != "" && in.credential != "":
		p.header.Set(in.credential, in.scheme+o.APIKey)
	case o.APIKey != "":
		p.header.Set("Authorization", "Bearer "+o.APIKey)
	case o.HTTPUser != "":
		p.header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(o.HTTPUser+":"+o.HTTPPasswd)))
	}
	return p, nil
}

func (p *httpPoster) Post(ctx context.Context, body []byte, contentEncoding string) Answer {
	u := p.url
	if p.nowParam != "" { // a small allocation per request, not per document
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + p.nowParam + "=" + strconv.FormatInt(time.Now().UnixMilli(), 10)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return Answer{Err: p.redact(err)}
	}
	req.Header = p.header.Clone()
	req.Header.Set("Content-Type", p.contentType)
	if contentEncoding != "" {
		req.Header.Set("Content-Encoding", contentEncoding)
	}
	if p.host != "" {
		req.Host = p.host
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return Answer{Err: p.redact(err)}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, int64(p.keep)))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, answerDrain))
	return Answer{
		Status:     resp.StatusCode,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		Body:       b,
	}
}

func (p *httpPoster) close() { p.client.CloseIdleConnections() }

// redact replaces the request URL inside a transport error (net/http wraps every error
// in a *url.Error that quotes the URL, userinfo and query included) with the URL fit
// for logs. The wrapped cause is kept for classify.
func (p *httpPoster) redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: p.logURL, Err: ue.Err}
	}
	return err
}
