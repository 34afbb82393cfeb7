package normalize

import (
	"testing"
)

func TestValidIP(t *testing.T) {
	for s, want := range map[string]bool{
		"1.2.3.4": true, "255.255.255.255": true, "0.0.0.0": true, "::": true, "::1": true,
		"2001:db8::1": true, "fe80::1:2:3:4": true, "1:2:3:4:5:6:7:8": true, "::ffff:10.0.0.1": true,
		"1::": true, "1:2:3:4:5:6:1.2.3.4": true, "ABCD::ef": true,
		"": false, "99.999.999.999": false, "256.1.1.1": false, "1.2.3": false, "1.2.3.4.5": false,
		"01.2.3.4": false, "1.2.3.4 ": false, ":": false, ":::": false, "1::2::3": false, "1:2:3:4:5:6:7:8:9": false,
		"1:2:3:4:5:6:7": false, "12345::": false, "fe80::1%eth0": false, "1:2:3:4:5:6:7::8": false,
		":1": false, "1:": false, "::1.2.3": false, "g::1": false, "1:2:3:4:5:6:7:1.2.3.4": false, "[::1]": false,
	} {
		if got := validIP([]byte(s)); got != want {
			t.Errorf("%q: %v", s, got)
		}
	}
}

func TestParseUserAgent(t *testing.T) {
	for _, c := range []struct{ in, name, version, os string }{
		{"kubectl/v1.20.2 (linux/amd64) kubernetes/faecb19", "kubectl", "v1.20.2", "linux"},
		{"kube-apiserver/v1.25.8+27e744f (linux/amd64) kubernetes/df8a1b9", "kube-apiserver", "v1.25.8+27e744f", "linux"},
		{"curl/8.13.0", "curl", "8.13.0", ""},
		{"Mozilla/5.0 (X11; Linux x86_64)", "Mozilla", "5.0", ""},
		{"agent", "agent", "", ""},
		{"/weird", "", "", ""},
		{"a/b (/x)", "a", "b", ""},
		{"a/b (os/arch", "a", "b", ""},
		{"", "", "", ""},
	} {
		ua := parseUserAgent([]byte(c.in))
		if string(ua.name) != c.name || string(ua.version) != c.version || string(ua.os) != c.os {
			t.Errorf("%q: %q %q %q", c.in, ua.name, ua.version, ua.os)
		}
	}
}
