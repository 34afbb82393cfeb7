package normalize

// IP addresses are validated by hand because net.ParseIP and netip.ParseAddr
// are either allocating or stricter/looser in ways that do not match what an
// Elasticsearch "ip" field accepts. sourceIPs is a list the API server builds
// from X-Forwarded-For, so it carries whatever a client sent: an entry such as
// 99.999.999.999 must not become source.ip and make the whole document fail
// to index.

// validIP reports whether s is a dotted-quad IPv4 address (no leading zeros,
// as Go's parser since 1.17) or an IPv6 address (RFC 4291 text forms, with an
// optional trailing dotted quad; zones are rejected).
func validIP(s []byte) bool {
	for _, c := range s {
		if c == ':' {
			return validIPv6(s)
		}
	}
	return validIPv4(s)
}

func validIPv4(s []byte) bool {
	parts := 0
	i := 0
	for {
		if i >= len(s) {
			return false
		}
		start := i
		v := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			v = v*10 + int(s[i]-'0')
			i++
			if i-start > 3 {
				return false
			}
		}
		n := i - start
		if n == 0 || v > 255 || (n > 1 && s[start] == '0') {
			return false
		}
		parts++
		if parts == 4 {
			return i == len(s)
		}
		if i >= len(s) || s[i] != '.' {
			return false
		}
		i++
	}
}

func validIPv6(s []byte) bool {
	groups := 0 // 16-bit groups seen
	ellipsis := false
	i := 0
	if len(s) >= 2 && s[0] == ':' && s[1] == ':' {
		ellipsis = true
		i = 2
		if i == len(s) {
			return true // "::"
		}
	}
	for i < len(s) {
		// Either a hex group or, as the last piece, a dotted quad.
		start := i
		for i < len(s) && isHex(s[i]) {
			i++
		}
		n := i - start
		if i < len(s) && s[i] == '.' {
			if groups > 6 || !validIPv4(s[start:]) {
				return false
			}
			groups += 2 // the quad ends the address
			break
		}
		if n == 0 || n > 4 {
			return false
		}
		groups++
		if i == len(s) {
			break
		}
		if s[i] != ':' {
			return false
		}
		i++
		if i < len(s) && s[i] == ':' {
			if ellipsis {
				return false
			}
			ellipsis = true
			i++
			if i == len(s) {
				break
			}
		} else if i == len(s) {
			return false // trailing single ':'
		}
		if groups > 8 {
			return false
		}
	}
	if ellipsis {
		return groups < 8
	}
	return groups == 8
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}
