package detect

// EXEC_CMD: the values of the command query parameters of an exec
// requestURI, URL-decoded and joined by spaces, lower-cased for matching
// (kubectl sends one parameter per argument: command=sh&command=-c&…).

// execCmd returns EXEC_CMD, decoding it on first use into a reused buffer.
func (f *Fields) execCmd() []byte {
	if f.cmdDone {
		return f.cmd
	}
	f.cmdDone = true
	uri := f.RequestURI
	q := index(uri, "?")
	if q < 0 {
		return f.cmd
	}
	for rest := uri[q+1:]; len(rest) > 0; {
		amp := index(rest, "&")
		param := rest
		if amp >= 0 {
			param, rest = rest[:amp], rest[amp+1:]
		} else {
			rest = nil
		}
		if !hasPrefix(param, "command=") {
			continue
		}
		if len(f.cmd) > 0 {
			f.cmd = append(f.cmd, ' ')
		}
		f.cmd = appendQueryUnescaped(f.cmd, param[len("command="):])
	}
	return f.cmd
}

// appendQueryUnescaped appends s decoded as a query value ('+' is a
// space, %XX a byte; a malformed escape is kept), lower-cased.
func appendQueryUnescaped(dst, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			c = ' '
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			c = unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 2
		}
		dst = append(dst, lower(c))
	}
	return dst
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// reverseShell: EXEC_CMD looks like a reverse shell (Elastic's Pod Exec
// Potential Reverse Shell patterns); /dev/tcp to localhost alone is not one.
func reverseShell(cmd []byte) bool {
	if containsAnyFold(cmd, &reverseShellWords) {
		return true
	}
	if contains(cmd, "socat") && (contains(cmd, "exec:") || contains(cmd, "pty") || contains(cmd, "system:")) {
		return true
	}
	for rest := cmd; ; {
		i := index(rest, "/dev/tcp/")
		if i < 0 {
			return false
		}
		rest = rest[i+len("/dev/tcp/"):]
		if !hasPrefix(rest, "127.") && !hasPrefix(rest, "localhost") {
			return true
		}
	}
}

// sensitivePath: EXEC_CMD reads credentials or node secrets.
func sensitivePath(cmd []byte) bool {
	return containsAnyFold(cmd, &sensitivePathWords)
}

// metadataAccess: EXEC_CMD reaches a cloud instance metadata service.
func metadataAccess(cmd []byte) bool {
	return containsAnyFold(cmd, &metadataWords)
}

// toolDownload: curl or wget to an https URL that is not the cluster's own.
func toolDownload(cmd []byte) bool {
	if !contains(cmd, "curl") && !contains(cmd, "wget") {
		return false
	}
	for rest := cmd; ; {
		i := index(rest, "https://")
		if i < 0 {
			return false
		}
		rest = rest[i+len("https://"):]
		if !hasPrefix(rest, "localhost") && !hasPrefix(rest, "127.") && !hasPrefix(rest, "kubernetes.default") {
			return true
		}
	}
}

// shellInURI: the request runs a shell directly (requestURI, raw or
// %2f-encoded).
func shellInURI(uri []byte) bool {
	return containsAnyFold(uri, &shellWords)
}

var (
	reverseShellWords = newPatterns("/dev/udp/", "mkfifo", "fsockopen", "bash -i", "sh -i", "0>&1", "nc -e",
		"ncat -e", "nc -c", "ncat -c", "netcat -e", "busybox nc", "pty.spawn", "socket.socket", "tcpsocket.new",
		"io.popen", "rm /tmp/f;")
	sensitivePathWords = newPatterns("/var/run/secrets/", "serviceaccount/token", "/etc/kubernetes/", "/var/lib/kubelet/",
		"/etc/shadow", "/etc/passwd", "/etc/sudoers", "/.ssh/", "/.aws/", "/.azure/", "/.kube/", "/.config/gcloud",
		".pem", ".key", ".p12", ".pfx", "/environ", "/.docker/config.json", "/.git-credentials")
	metadataWords = newPatterns("169.254.169.254", "2852039166", "0xa9fea9fe", "fd00:ec2::254", "/latest/meta-data",
		"/latest/api/token", "metadata.google.internal", "computemetadata/v1", "metadata/identity/oauth2/token",
		"100.100.100.200")
	shellWords = newPatterns("/bin/sh", "/bin/bash", "/bin/ash", "/bin/zsh", "/bin/dash", "busybox",
		"%2fbin%2fsh", "%2fbin%2fbash", "%2fbin%2fash", "%2fbin%2fzsh", "%2fbin%2fdash")
)
