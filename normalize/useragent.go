package normalize

// userAgent holds the parts of a Kubernetes client user agent. client-go
// builds it as "<binary>/<version> (<os>/<arch>) kubernetes/<commit>"; other
// clients often follow "<name>/<version>". Anything else keeps only
// user_agent.original: no browser database is consulted (peers that use one
// report "Other" for every kubectl, which helps no one).
type userAgent struct {
	name, version, os []byte
}

func parseUserAgent(s []byte) (ua userAgent) {
	i := 0
	for i < len(s) && s[i] != '/' && s[i] != ' ' && s[i] != '(' {
		i++
	}
	if i == 0 {
		return ua
	}
	ua.name = s[:i]
	if i >= len(s) || s[i] != '/' {
		return ua
	}
	i++
	start := i
	for i < len(s) && s[i] != ' ' && s[i] != '(' {
		i++
	}
	ua.version = s[start:i]
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if i >= len(s) || s[i] != '(' {
		return ua
	}
	i++
	start = i
	slash := -1
	for i < len(s) && s[i] != ')' {
		c := s[i]
		if c == ' ' || c == ';' {
			return ua // a browser-style comment, not "<os>/<arch>"
		}
		if c == '/' && slash < 0 {
			slash = i
		}
		i++
	}
	if i >= len(s) || slash <= start {
		return ua
	}
	ua.os = s[start:slash]
	return ua
}
