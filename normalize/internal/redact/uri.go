package redact

import "bytes"

// Credentials in the request URI. A client may put a token in a query
// parameter (?access_token=, ?api_key=, an OAuth fragment), and one that
// wants it past a redactor may percent-encode the name (acc%65ss_token,
// access%5Ftoken, twice: acc%2565ss_token), hide the parameter behind an
// encoded separator (x=1%26token%3D…) or use another separator (';', a path
// parameter, '#'). So a parameter is recognized by its name as any decoder
// along the way could read it, and the whole value is replaced:
//
//   - a parameter starts at the URI's start or after any of / ? & ; # ;
//     its name runs to the first '=', its value from there to the next '&'
//     in the query or fragment (to the next '/', '?' or '#' in the path), so
//     that a value holding '/', '?', '#' or ';' is replaced whole;
//   - a name is compared after percent-decoding, repeated until nothing is
//     left to decode (at most maxDecodeRounds times), with '+' read as a
//     space, surrounding whitespace trimmed, ASCII case folded and '-' read
//     as '_' (see credentialName for the names);
//   - a parameter whose raw name is not a credential but whose decoded text
//     holds one (a separator or '=' was encoded) is replaced whole, name
//     included, up to where its value would end;
//   - malformed escapes (%G1, a trailing %) are left as they are: they
//     decode to nothing else.
//
// Where it is written: url.original, url.path, url.query,
// kubernetes.audit.requestURI, event.original and format raw all read the
// event's requestURI, which prepareRedaction replaces.

// maxDecodeRounds bounds repeated percent-decoding: each round can only
// shrink the text, but a name encoded a hundred times would cost a hundred
// passes; no decoder chain goes that deep.
const maxDecodeRounds = 8

// URI appends uri to dst with the values of credential parameters
// replaced by Value, and reports whether any was; dst is returned
// unchanged when none was. It never allocates once dst has grown: what it
// decodes goes to dst's spare room and is taken back.
func URI(dst, uri []byte) ([]byte, bool) {
	eq, pc := bytes.IndexByte(uri, '='), bytes.IndexByte(uri, '%')
	maybe := eq >= 0 && plainMayHoldCredential(uri, eq)
	if !maybe && pc >= 0 {
		dst, maybe = encodedMayHoldCredential(dst, uri, pc)
	}
	if !maybe {
		return dst, false // the common case: no name is a credential's
	}
	base := len(dst)
	out, found := walkURI(dst, uri, false)
	if !found {
		return out[:base], false
	}
	return walkURI(out[:base], uri, true)
}

// plainMayHoldCredential reports whether a uri with no '%' may hold a
// credential parameter: whether a name, text from a separator to the
// first '=' after it, is a credential's (or has a '+', which walkURI
// decodes). eq is the first '='. It costs a search for each '=', and
// walkURI decides.
func plainMayHoldCredential(uri []byte, eq int) bool {
	for {
		s := eq
		for s > 0 && !uriSep(uri[s-1]) && uri[s-1] != '=' {
			s--
		}
		if s == 0 || uri[s-1] != '=' { // else not the first '=' of its parameter
			name := uri[s:eq]
			if credentialName(trimSpaceASCII(name)) || bytes.IndexByte(name, '+') >= 0 {
				return true
			}
		}
		next := bytes.IndexByte(uri[eq+1:], '=')
		if next < 0 {
			return false
		}
		eq += 1 + next
	}
}

// encodedMayHoldCredential reports whether a parameter of uri holding a
// '%' (the first at pc) names a credential once decoded: a name, text
// from a separator or the part's start to an '=', in the decoded
// parameter. It decodes in dst's spare room and returns dst at its length.
func encodedMayHoldCredential(dst, uri []byte, pc int) ([]byte, bool) {
	base := len(dst)
	for pc >= 0 {
		s, e := pc, pc
		for s > 0 && !uriSep(uri[s-1]) {
			s--
		}
		for e < len(uri) && !uriSep(uri[e]) {
			e++
		}
		dst = append(dst[:base], uri[s:e]...)
		d := percentDecode(dst[base:], true)
		for i := bytes.IndexByte(d, '='); i >= 0; {
			n := i
			for n > 0 && !uriSep(d[n-1]) && d[n-1] != '=' {
				n--
			}
			if credentialName(trimSpaceASCII(d[n:i])) {
				return dst[:base], true
			}
			next := bytes.IndexByte(d[i+1:], '=')
			if next < 0 {
				break
			}
			i += 1 + next
		}
		next := bytes.IndexByte(uri[e:], '%')
		if next < 0 {
			break
		}
		pc = e + next
	}
	return dst[:base], false
}

// walkURI finds the credential values of uri (see the top of this file).
// With write it appends uri to dst with them replaced; without, dst serves
// only as scratch space and is returned at its length.
func walkURI(dst, uri []byte, write bool) ([]byte, bool) {
	base := len(dst)
	found, query := false, false
	mark := 0 // uri[mark:start] is still to be written
	for start := 0; start <= len(uri); {
		end := start
		for end < len(uri) && !uriSep(uri[end]) {
			end++
		}
		part := uri[start:end]
		redactFrom := -1 // where the replaced text starts
		if eq := bytes.IndexByte(part, '='); eq >= 0 {
			st := len(dst)
			var name []byte
			dst, name = decodedName(dst, part[:eq])
			if credentialName(name) {
				redactFrom = start + eq + 1
			}
			dst = dst[:st]
		}
		if redactFrom < 0 && bytes.IndexByte(part, '%') >= 0 {
			var held bool
			if dst, held = decodedHoldsCredential(dst, part); held {
				redactFrom = start
			}
		}
		next := end
		if redactFrom >= 0 {
			vEnd := valueEnd(uri, redactFrom, query)
			if vEnd > redactFrom {
				found = true
				if write {
					dst = append(dst, uri[mark:redactFrom]...)
					dst = append(dst, Value...)
					mark = vEnd
				}
				next = vEnd
			}
		}
		if next >= len(uri) {
			break
		}
		if c := uri[next]; c == '?' || c == '#' {
			query = true
		}
		start = next + 1
	}
	if write && found {
		dst = append(dst, uri[mark:]...)
	}
	if !write {
		dst = dst[:base]
	}
	return dst, found
}

// uriSep reports whether c starts a new parameter.
func uriSep(c byte) bool { return uriSeps[c] }

var uriSeps = [256]bool{'&': true, ';': true, '/': true, '?': true, '#': true}

// valueEnd returns where a value starting at i ends: the next '&' in the
// query or fragment, the next '/', '?' or '#' in the path.
func valueEnd(uri []byte, i int, query bool) int {
	for ; i < len(uri); i++ {
		switch uri[i] {
		case '&':
			if query {
				return i
			}
		case '/', '?', '#':
			if !query {
				return i
			}
		}
	}
	return i
}

// decodedName returns raw decoded (see percentDecode) and trimmed; when it
// needs decoding, the text is appended to dst, which the caller takes back.
func decodedName(dst, raw []byte) ([]byte, []byte) {
	if bytes.IndexByte(raw, '%') < 0 && bytes.IndexByte(raw, '+') < 0 {
		return dst, trimSpaceASCII(raw)
	}
	st := len(dst)
	dst = append(dst, raw...)
	d := percentDecode(dst[st:], true)
	dst = dst[:st+len(d)]
	return dst, trimSpaceASCII(dst[st:])
}

// decodedHoldsCredential reports whether part, percent-decoded (see
// percentDecode), holds a credential parameter with a non-empty value once
// split at the separators its decoding revealed. It decodes in dst's spare
// room and returns dst at its length.
func decodedHoldsCredential(dst, part []byte) ([]byte, bool) {
	st := len(dst)
	dst = append(dst, part...)
	d := percentDecode(dst[st:], true)
	dst = dst[:st]
	for i := 0; i <= len(d); {
		end := i
		for end < len(d) && !uriSep(d[end]) {
			end++
		}
		sub := d[i:end]
		if eq := bytes.IndexByte(sub, '='); eq >= 0 && eq+1 < len(sub) && credentialName(trimSpaceASCII(sub[:eq])) {
			return dst, true
		}
		i = end + 1
	}
	return dst, false
}

// percentDecode percent-decodes b in place, with plus '+' read as a space
// (a query's form encoding), again and again until a round changes nothing
// or maxDecodeRounds, and returns the decoded prefix of b.
func percentDecode(b []byte, plus bool) []byte {
	for round := 0; round < maxDecodeRounds; round++ {
		// again: the round wrote a '%' (or a '+' to read as a space) that
		// the next round may decode.
		w, again := 0, false
		for r := 0; r < len(b); r++ {
			c := b[r]
			switch {
			case c == '%' && r+2 < len(b) && isHex(b[r+1]) && isHex(b[r+2]):
				c = unhex(b[r+1])<<4 | unhex(b[r+2])
				r += 2
				again = again || c == '%' || c == '+' && plus
			case c == '+' && plus:
				c = ' '
			}
			b[w] = c
			w++
		}
		b = b[:w]
		if !again {
			break
		}
	}
	return b
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func trimSpaceASCII(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// credentialName reports whether a (decoded, trimmed) parameter name
// carries a credential: compared with ASCII case folded and '-' as '_', a
// name that is key, sig, pwd, auth or jwt, or that ends in token, secret,
// password, passwd, apikey, _key, accesskey, secretkey, privatekey, _sig or
// signature. That covers the OAuth and API-key names (access_token,
// id_token, refresh_token, client_secret, api_key, apikey, key, sig,
// X-Amz-Signature, X-Amz-Security-Token) and their variants (github_token,
// db-password), and none of the Kubernetes API's own parameters
// (resourceVersion, continue, labelSelector, …). It errs on the side of
// redacting: a pageToken goes too.
func credentialName(name []byte) bool {
	if len(name) < 3 || !credentialEnd(name[len(name)-2], name[len(name)-1]) {
		return false
	}
	for _, s := range credentialExact {
		if len(name) == len(s) && hasSuffixFold(name, s) {
			return true
		}
	}
	for _, s := range credentialSuffixes {
		if hasSuffixFold(name, s) {
			return true
		}
	}
	return false
}

// credentialEnd reports whether a name ending in a, b (either case) may be
// one of those below: most names end otherwise (resourceVersion, watch,
// limit, fieldManager) and are rejected at once.
func credentialEnd(a, b byte) bool {
	switch a | 0x20 {
	case 'e':
		return b|0x20 == 'n' || b|0x20 == 'y' || b|0x20 == 't' // token, key, secret
	case 'r':
		return b|0x20 == 'd' || b|0x20 == 'e' // password, signature
	case 'w':
		return b|0x20 == 'd' || b|0x20 == 't' // passwd, pwd, jwt
	case 'i':
		return b|0x20 == 'g' // sig
	case 't':
		return b|0x20 == 'h' // auth
	}
	return false
}

var (
	credentialExact    = []string{"key", "sig", "pwd", "auth", "jwt"}
	credentialSuffixes = []string{"token", "secret", "password", "passwd", "apikey", "_key", "accesskey", "secretkey", "privatekey", "_sig", "signature"}
)

// hasSuffixFold reports whether b ends in s (lower case, '_' for '-' or
// '_'), ASCII case folded.
func hasSuffixFold(b []byte, s string) bool {
	if len(b) < len(s) {
		return false
	}
	b = b[len(b)-len(s):]
	for i := 0; i < len(s); i++ {
		c := b[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c == '-':
			c = '_'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
