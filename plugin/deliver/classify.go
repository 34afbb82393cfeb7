package deliver

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
)

// verdict is what an answer means for the batch that got it.
type verdict uint8

const (
	vDelivered verdict = iota // 2xx
	vRetry                    // transient: retry in the flush, then hand the chunk back
	vSplit                    // 413: too large, send the halves
	vReject                   // permanent for this batch: dead-letter it and go on
	vAuth                     // 401/403/407: a credential is missing or wrong; never drop, say it loudly
	vConfig                   // 404/405, redirect, TLS verification failure, or an answer naming a configuration error
	vItems                    // the answer speaks per document (set by an intake's items hook, never by classify)
)

// classify is the one place that maps an intake's answer to what to do with the batch
// (docs/design.md, "Delivery contract"). Intakes with per-item answers (Elasticsearch bulk items, Splunk's
// invalid-event-number) refine its verdict in their items hook, right after it.
func classify(a Answer) verdict {
	if a.Err != nil {
		if isTLSConfigError(a.Err) {
			return vConfig
		}
		return vRetry // reset, refused, timeout, DNS: the intake may be back in a moment
	}
	s := a.Status
	switch {
	case s >= 200 && s < 300:
		return vDelivered
	case s == 401 || s == 403 || s == 407:
		return vAuth
	case s == 404 || s == 405:
		// The url's path is wrong, or a proxy in front does not route it: every request
		// would get the same answer, and dead-lettering (or dropping) them all would turn
		// a typo into data loss. Kept, like a refused credential.
		return vConfig
	case s == 413:
		return vSplit
	case s == 408 || s == 429:
		return vRetry
	case s >= 500:
		return vRetry
	case s >= 400:
		return vReject
	case s >= 300 && s < 400:
		// Redirects are not followed: a POST turned into a GET would lose the body.
		return vConfig
	}
	return vRetry // no status at all: treat as a broken exchange
}

// likelyCause is what an answer that keeps the chunk (vAuth, vConfig) most likely means,
// for the one error line that says so.
func likelyCause(status int) string {
	switch status {
	case 401:
		return "the credential is missing or wrong: check api_key, http_user, http_passwd"
	case 403:
		return "the credential is refused or lacks a privilege: check api_key and its permissions (Elasticsearch: create_doc on the index)"
	case 404:
		return "nothing is listening at this path: check url (and a proxy or ingress in front of the intake)"
	case 405:
		return "this endpoint does not take POST: check url's path"
	case 407:
		return "a proxy between the plugin and the intake requires authentication: check the proxy settings (HTTPS_PROXY)"
	}
	if status >= 300 && status < 400 {
		return "redirects are not followed: set url to the final endpoint"
	}
	return "the intake refused the configuration: check url, index and the intake's settings"
}

// isTLSConfigError recognises failures that retrying cannot fix: the intake's
// certificate does not verify, the endpoint does not speak TLS, or the intake refuses
// our client certificate (or the lack of one).
func isTLSConfigError(err error) bool {
	var (
		cv *tls.CertificateVerificationError
		ua x509.UnknownAuthorityError
		he x509.HostnameError
		ci x509.CertificateInvalidError
		rh tls.RecordHeaderError
		oe *net.OpError
	)
	// The intake's TLS alerts come as a net.OpError "remote error" around an unexported
	// alert type: bad, unsupported, revoked, expired or unknown certificate, unknown CA,
	// certificate required all name the certificate.
	if errors.As(err, &oe) && oe.Op == "remote error" && oe.Err != nil && strings.Contains(oe.Err.Error(), "certificate") {
		return true
	}
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) ||
		errors.As(err, &ci) || errors.As(err, &rh)
}
