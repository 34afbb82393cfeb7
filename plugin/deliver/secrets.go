package deliver

import (
	"encoding/base64"
	"net"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Redacted is what a secret is replaced with in log lines, errors and dead-letter reasons.
// It shows no character of the secret: even two characters narrow a short token down.
const Redacted = "<redacted>"

// RedactURL is a URL fit for a log line: without userinfo, query or fragment, where
// credentials travel (https://user:pass@h/p?token=…). A value that does not parse is not
// shown at all.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" && u.Scheme == "" {
		return Redacted
	}
	u.User = nil
	u.RawQuery, u.ForceQuery = "", false
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// IsLoopback reports whether host (a URL's host, with or without port) is this machine:
// credentials sent there over plain http never cross a network.
func IsLoopback(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// maxReason bounds a reason (an intake's answer, a bulk item's error) in the dead-letter
// file and the logs: enough to diagnose, too little to carry a document back out.
const maxReason = 300

// scrubber removes credentials from text that came back from the intake (answers and
// bulk item errors may echo the request's headers, a proxy's debug page may echo all of
// them) before it reaches a log line or the dead-letter file. It knows the Sender's own
// secrets, in every form they were sent, and masks the value after anything that looks
// like an Authorization header or a credential scheme, whoever's credential it is.
type scrubber struct {
	secrets []string // longest first, so that a secret containing another goes whole
}

func newScrubber(o *Options) scrubber {
	var sc scrubber
	add := func(s string) {
		if len(s) >= 4 { // shorter would redact ordinary words; Init warns about weak keys elsewhere
			sc.secrets = append(sc.secrets, s)
		}
	}
	add(o.APIKey)
	add(o.HTTPPasswd)
	if o.HTTPUser != "" {
		add(base64.StdEncoding.EncodeToString([]byte(o.HTTPUser + ":" + o.HTTPPasswd)))
	}
	for _, h := range o.Headers {
		add(h[1])
	}
	if u, err := url.Parse(o.URL); err == nil {
		if p, ok := u.User.Password(); ok {
			add(p)
			add(url.QueryEscape(p))
		}
		for _, vs := range u.Query() {
			for _, v := range vs {
				add(v)
				add(url.QueryEscape(v))
			}
		}
	}
	// Longest first: a header value "Bearer <key>" goes whole, not as "Bearer <redacted>".
	for i := 1; i < len(sc.secrets); i++ {
		for j := i; j > 0 && len(sc.secrets[j]) > len(sc.secrets[j-1]); j-- {
			sc.secrets[j], sc.secrets[j-1] = sc.secrets[j-1], sc.secrets[j]
		}
	}
	return sc
}

// clean makes s fit for a log line or a dead-letter reason: one line of printable,
// valid UTF-8, the Sender's secrets and anything credential-shaped replaced by Redacted,
// at most maxReason bytes.
func (sc scrubber) clean(s string) string {
	s = oneLine([]byte(s))
	for _, sec := range sc.secrets {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, Redacted)
		}
	}
	s = maskCredentials(s)
	return clipLine(s, maxReason)
}

// headerMarkers name a credential: the value after one of them and a separator (colon,
// equals sign or quote, as in a header, a query or a JSON echo) is masked. schemeMarkers
// introduce one: the token after them is masked when it is long enough to be a key.
var (
	headerMarkers = []string{"authorization", "dd-api-key", "intake-key", "api_key", "api-key", "apikey", "cookie", "token", "passw"}
	schemeMarkers = []string{"bearer ", "basic ", "apikey ", "splunk ", "token ", "negotiate "}
)

// maskCredentials masks what follows the markers above (case-insensitively).
func maskCredentials(s string) string {
	lower := strings.ToLower(s)
	if !containsAny(lower, headerMarkers) && !containsAny(lower, schemeMarkers) {
		return s
	}
	var b strings.Builder
	i := 0
	for i < len(s) {
		if n, ok := hasPrefixAny(lower[i:], headerMarkers); ok {
			j := i + n
			for j < len(s) && isWordByte(s[j]) { // the rest of the name: passwd, tokens, authorization-x
				j++
			}
			sep := false
			for j < len(s) && strings.IndexByte("\"': =", s[j]) >= 0 {
				sep = sep || s[j] != ' '
				j++
			}
			k := tokenEnd(s, j)
			if sep && k > j {
				// A scheme and its credential are one value: "Bearer abc…".
				if _, isScheme := hasPrefixAny(strings.ToLower(s[j:])+" ", schemeMarkers); isScheme && k < len(s) && s[k] == ' ' {
					if k2 := tokenEnd(s, k+1); k2 > k+1 {
						k = k2
					}
				}
				b.WriteString(s[i:j])
				b.WriteString(Redacted)
				i = k
				continue
			}
		}
		if n, ok := hasPrefixAny(lower[i:], schemeMarkers); ok && (i == 0 || !isWordByte(s[i-1])) {
			j := i + n
			if k := tokenEnd(s, j); k-j >= 8 {
				b.WriteString(s[i:j])
				b.WriteString(Redacted)
				i = k
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// tokenEnd is the end of the run of token bytes starting at j.
func tokenEnd(s string, j int) int {
	for j < len(s) && isTokenByte(s[j]) {
		j++
	}
	return j
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func hasPrefixAny(s string, prefixes []string) (int, bool) {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return len(p), true
		}
	}
	return 0, false
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// isTokenByte: the characters of API keys, base64 and JWTs.
func isTokenByte(c byte) bool {
	return isWordByte(c) || c == '.' || c == '+' || c == '/' || c == '=' || c == '~' || c == ':'
}

// clipLine cuts s to at most n bytes on a character boundary, marking the cut.
func clipLine(s string, n int) string {
	if len(s) <= n {
		return s
	}
	b := s[:n]
	for len(b) > 0 && !utf8.ValidString(b) {
		b = b[:len(b)-1]
	}
	return b + "…"
}
