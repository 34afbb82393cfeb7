package otlp

import (
	"os"

	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/intake"
)

// Intake is the otlp intake's declaration.
var Intake = &intake.Intake{
	Name: "otlp",
	Keys: []intake.Key{
		{Name: "otlp_encoding", Default: "protobuf"},
		{Name: "otlp_service_name", Default: "kube-apiserver"},
		{Name: "otlp_host_name", DefaultDoc: "this machine's host name"},
		{Name: "otlp_header", DefaultDoc: "`Authorization`"},
		{Name: "otlp_scheme", DefaultDoc: "`Bearer` with the default header"},
	},
	Limits: limits,
	URL:    intake.HTTPSchemes,
	Configure: func(get intake.Getter, o *deliver.Options) (intake.Opener, error) {
		host := get("otlp_host_name")
		if host == "" {
			host, _ = os.Hostname() // "" leaves host.name out
		}
		var pb bool
		switch get("otlp_encoding") {
		case "protobuf":
			pb = true
		case "json":
		default:
			return nil, intake.Invalid("otlp_encoding", "protobuf (application/x-protobuf, the default) or json")
		}
		w := &deliver.Wire{Name: "otlp", Framing: newFraming(get("otlp_service_name"), host, pb),
			Path: "/v1/logs", Answer: partialSuccess, Retryable: retryable}
		if h := get("otlp_header"); h != "" {
			for i := 0; i < len(h); i++ {
				if !tokenChar(h[i]) {
					return nil, intake.Invalid("otlp_header", "an HTTP header name (letters, digits, -)")
				}
			}
			w.Credential, w.Scheme = h, get("otlp_scheme")
		} else if sc := get("otlp_scheme"); sc != "" {
			w.Credential, w.Scheme = "Authorization", sc
		}
		for i := 0; i < len(w.Scheme); i++ {
			if c := w.Scheme[i]; c < ' ' || c >= 0x7f {
				return nil, intake.Invalid("otlp_scheme", "printable ASCII, the credential's prefix (Bearer, Api-Token)")
			}
		}
		if w.Scheme != "" && w.Scheme[len(w.Scheme)-1] != ' ' {
			w.Scheme += " "
		}
		if get("otlp_service_name") == "" {
			return nil, intake.Invalid("otlp_service_name", "a service name (default kube-apiserver)")
		}
		o.Wire = w
		return intake.HTTP, nil
	},
}

// retryable: the OTLP/HTTP specification's retryable statuses; every other failure is
// permanent for the request ("MUST NOT be retried").
func retryable(status int) bool {
	return status == 429 || status == 502 || status == 503 || status == 504
}

func tokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}
