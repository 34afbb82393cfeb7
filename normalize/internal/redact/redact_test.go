package redact

import (
	"bytes"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

// FuzzRedactURI: for any URI, redactURI does not panic and replaces
// something when it says so; for a parameter
// name=SECRET whose name net/url decodes (repeatedly) to a credential's,
// SECRET is gone.
func FuzzRedactURI(f *testing.F) {
	for _, s := range []string{"acc%65ss_token", "access%5Ftoken", "%2574oken", "x%26token", "api+key", "Sig", "%", "%G1", "a;token", "#id_token"} {
		f.Add("/api/v1/pods?limit=1&", s)
	}
	f.Add("/api/v1/pods;", "token")
	f.Add("/api/v1/pods#", "key")
	f.Fuzz(func(t *testing.T, prefix, name string) {
		uri := prefix + name + "=SECRETVALUE&x=1"
		got, ok := URI(nil, []byte(uri))
		if ok && !bytes.Contains(got, []byte(Value)) {
			t.Fatalf("URI(%q) = %q: nothing replaced", uri, got)
		}
		if !ok && len(got) != 0 {
			t.Fatalf("URI(%q) wrote %q without a credential", uri, got)
		}
		// A name net/url reads as a credential's, after a separator.
		if strings.ContainsAny(name, "&;/?#=") || prefix != "" && !strings.ContainsAny(prefix[len(prefix)-1:], "&;/?#") {
			return
		}
		d := name
		for range maxDecodeRounds {
			u, err := url.QueryUnescape(d)
			if err != nil || u == d {
				break
			}
			d = u
		}
		if strings.ContainsAny(d, "&;/?#=") || !credentialName([]byte(strings.Trim(d, " \t\r\n"))) {
			return
		}
		if bytes.Contains(got, []byte("SECRETVALUE")) || !ok {
			t.Fatalf("URI(%q) = %q, %v: the value of %q (%q) stays", uri, got, ok, name, d)
		}
	})
}

// What is not a credential stays as it was.
func TestRedactURIKeepsOthers(t *testing.T) {
	for _, in := range []string{
		"/api/v1/pods?resourceVersion=123&limit=500&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ",
		"/api/v1/namespaces/default/secrets/my-token",
		"/api/v1/pods?labelSelector=app%3Dnginx%2Ctier%21%3Dweb&fieldSelector=spec.nodeName%3Dn1",
		"/api/v1/namespaces/x/serviceaccounts/default/token",
		"/apis/authentication.k8s.io/v1/tokenreviews",
		"/api/v1/pods?tokens=1&token=&mytokens=2&keys=3&signer=x",
		"/api/v1/pods?watch=1&timeoutSeconds=30&allowWatchBookmarks=true&sendInitialEvents=true",
		"/api/v1/namespaces/x/pods/p/exec?command=ls&container=c&stdin=true",
		"/api/v1/pods?%zz=1&a=%",
	} {
		if got, ok := URI(nil, []byte(in)); ok {
			t.Errorf("URI(%q) = %q, want untouched", in, got)
		}
	}
}

// The exact output for the edge cases, so that the choices are visible.
func TestRedactURIExact(t *testing.T) {
	for in, want := range map[string]string{
		"/api?acc%65ss_token=abc&limit=5": "/api?acc%65ss_token=[REDACTED]&limit=5",
		"/api?x=1;token=abc;y=2&z=3":      "/api?x=1;token=[REDACTED]&z=3",
		"/api;token=abc/pods?watch=1":     "/api;token=[REDACTED]/pods?watch=1",
		"/api?x=1%26token%3Dabc&limit=5":  "/api?[REDACTED]&limit=5",
		"/api?token=ab/cd?e#f&limit=5":    "/api?token=[REDACTED]&limit=5",
		"/api#access_token=abc&type=x":    "/api#access_token=[REDACTED]&type=x",
		"/api?Token=a&TOKEN=b":            "/api?Token=[REDACTED]&TOKEN=[REDACTED]",
		"/api?token==x":                   "/api?token=[REDACTED]",
		"/api?acc%2565ss%255Ftoken=abc":   "/api?acc%2565ss%255Ftoken=[REDACTED]",
		"/api?my_api_key=abc&pageToken=d": "/api?my_api_key=[REDACTED]&pageToken=[REDACTED]",
		"/api?%20password%20=abc":         "/api?%20password%20=[REDACTED]",
	} {
		got, ok := URI(nil, []byte(in))
		if !ok || string(got) != want {
			t.Errorf("URI(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// credentialEnd must let through every name credentialName knows.
func TestCredentialEnd(t *testing.T) {
	for _, s := range append(append([]string{}, credentialExact...), credentialSuffixes...) {
		for _, name := range []string{s, strings.ToUpper(s)} {
			if !credentialName([]byte(name)) {
				t.Errorf("%q not a credential name", name)
			}
		}
	}
	for _, s := range credentialSuffixes {
		if !credentialName([]byte("x_" + s)) {
			t.Errorf("%q not a credential name", "x_"+s)
		}
	}
}

// PathClass's shortcuts (pathClassFast, the segment search) agree with
// reading every path's structure (pathStructClass) on random paths made of
// the segments that matter.
func TestPathClassShortcutsAgree(t *testing.T) {
	segs := []string{"", "api", "apis", "v1", "watch", "namespaces", "x", "secrets", "serviceaccounts", "token",
		"tokenreviews", "authentication.k8s.io", "apps", "pods", "s", "t", "services", "secrets#f", "token?x=1"}
	r := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		var b strings.Builder
		if r.IntN(8) == 0 {
			b.WriteByte('/')
		}
		for range 1 + r.IntN(8) {
			b.WriteString("/" + segs[r.IntN(len(segs))])
		}
		p := b.String()
		want := p
		if q := strings.IndexByte(want, '?'); q >= 0 {
			want = want[:q]
		}
		if _, got := PathClass(nil, []byte(p)); got != pathStructClass([]byte(want)) {
			t.Fatalf("pathClass(%q) = %d, the structure says %d", p, got, pathStructClass([]byte(want)))
		}
	}
}

func TestRedactURI(t *testing.T) {
	for in, want := range map[string]string{
		"/api?token=abc":                        "/api?token=[REDACTED]",
		"/api?a=1&ID_TOKEN=x&b=2":               "/api?a=1&ID_TOKEN=[REDACTED]&b=2",
		"/api?client_secret=s&password=p&x=":    "/api?client_secret=[REDACTED]&password=[REDACTED]&x=",
		"/api?refresh_token=r&access_token=a#f": "/api?refresh_token=[REDACTED]&access_token=[REDACTED]",
		"/api?mytoken=x":                        "/api?mytoken=[REDACTED]", // a name ending in token
	} {
		got, ok := URI(nil, []byte(in))
		if !ok || string(got) != want {
			t.Errorf("URI(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"/api", "/api?tokens=1&token=", "/api?tokenx=1"} {
		if got, ok := URI(nil, []byte(in)); ok {
			t.Errorf("URI(%q) = %q, want untouched", in, got)
		}
	}
}
