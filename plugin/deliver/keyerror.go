package deliver

import (
	"fmt"
	"strconv"
	"strings"
)

// KeyError is an error in one configuration key: its text names the key and what is
// accepted, never the value (a url may carry a password, a header a bearer token, and the
// error goes to Fluent Bit's log). The rules below are written once, here, and the
// config layer applies them through these functions rather than a copy.
type KeyError struct {
	Key, Accepted string
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("invalid value for key %q (value not shown): accepted: %s", e.Key, e.Accepted)
}

// CheckCredentials refuses credentials that could never be sent: a control character (a
// CR or LF pasted with a key) makes net/http refuse every request locally, and the chunk
// would be retried forever; a colon in a basic-auth user name cannot be told apart from
// the password.
func CheckCredentials(apiKey, user, passwd string) error {
	for _, c := range [][2]string{{"api_key", apiKey}, {"http_user", user}, {"http_passwd", passwd}} {
		if controlAt(c[1]) >= 0 {
			return &KeyError{Key: c[0], Accepted: "a value without control characters (a newline or tab pasted with it?): it is sent in an HTTP header"}
		}
	}
	if strings.IndexByte(user, ':') >= 0 {
		return &KeyError{Key: "http_user", Accepted: "a user name without a colon: basic auth cannot carry one"}
	}
	return nil
}

// CheckTLSPair: a client certificate needs its key, and a key its certificate.
func CheckTLSPair(crt, key string) error {
	if (crt == "") != (key == "") {
		k := "tls_key_file"
		if crt == "" {
			k = "tls_crt_file"
		}
		return &KeyError{Key: k, Accepted: "tls_crt_file and tls_key_file together: a client certificate needs its key"}
	}
	return nil
}

// CheckCap applies an intake's hard limit (0 = none) to batch_bytes or batch_events; unit
// is "bytes" or "documents". The limit and where it comes from are named, so the user
// knows which documented maximum was hit.
func CheckCap(key string, v, max int, unit, intake, source string) error {
	if max > 0 && v > max {
		return &KeyError{Key: key, Accepted: "at most " + strconv.Itoa(max) + " " + unit + " for intake " + intake + " (" + source + ")"}
	}
	return nil
}
