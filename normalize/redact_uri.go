package normalize

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

// redactURI appends uri to dst with the values of credential parameters
// replaced by RedactedValue, and reports whether any was; dst is returned
// unchanged when none was. It never allocates once dst has grown: what it
// decodes goes to dst's spare room and is taken back.
func redactURI(dst, uri []byte) ([]byte, bool) {
	if indexByte(uri, '=') < 0 && indexByte(uri, '%') < 0 {
		return dst, false // nothing that can be a parameter
	}
	base := len(dst)
	out, found := walkURI(dst, uri, false)
	if !found {
		return out[:base], false
	}
	return walkURI(out[:base], uri, true)
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
		if eq := indexByte(part, '='); eq >= 0 {
			st := len(dst)
			var name []byte
			dst, name = decodedName(dst, part[:eq])
			if credentialName(name) {
				redactFrom = start + eq + 1
			}
			dst = dst[:st]
		}
		if redactFrom < 0 && indexByte(part, '%') >= 0 {
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
					dst = append(dst, RedactedValue...)
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
func uriSep(c byte) bool {
	return c == '&' || c == ';' || c == '/' || c == '?' || c == '#'
}

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
	if indexByte(raw, '%') < 0 && indexByte(raw, '+') < 0 {
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
		if eq := indexByte(sub, '='); eq >= 0 && eq+1 < len(sub) && credentialName(trimSpaceASCII(sub[:eq])) {
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
		w, changed := 0, false
		for r := 0; r < len(b); r++ {
			c := b[r]
			switch {
			case c == '%' && r+2 < len(b) && isHex(b[r+1]) && isHex(b[r+2]):
				c = unhex(b[r+1])<<4 | unhex(b[r+2])
				r += 2
				changed = true
			case c == '+' && plus:
				c = ' '
				changed = true
			}
			b[w] = c
			w++
		}
		b = b[:w]
		if !changed {
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
	if len(name) < 3 {
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
