package syslog

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/intake"
)

// Intake is the syslog intake's declaration. The receiver is the url, tcp://host:port or
// tls://host:port (RFC 5425): TLS is chosen by the scheme, as for the HTTP intakes, and
// the common keys tls_verify, tls_ca_file, tls_crt_file, tls_key_file, tls_server_name,
// timeout and retry_budget apply. The intake's own keys carry its prefix, as splunk_* and
// dd_* do: hostname, facility or app_name alone would be claimed for every intake.
var Intake = &intake.Intake{
	Name: "syslog",
	Keys: []intake.Key{
		{Name: "syslog_framing", Default: "octet", Synonyms: []string{"framing"}},
		{Name: "syslog_rfc", Default: "5424"},
		{Name: "syslog_facility", Default: "audit", Synonyms: []string{"facility"}},
		{Name: "syslog_app_name", Default: DefaultAppName},
		{Name: "syslog_sd_id", Default: DefaultSDID, Synonyms: []string{"sd_id"}},
		{Name: "syslog_max_message_bytes", Default: strconv.Itoa(DefaultMaxMessageBytes)},
		{Name: "syslog_severity_map", Synonyms: []string{"severity_map"}},
		{Name: "syslog_hostname"},
	},
	// Not used: one message per document, written in socket writes of 64 KiB.
	Limits:    deliver.Limits{DefaultBytes: deliver.DefaultBatchBytes, DefaultEvents: deliver.DefaultBatchEvents},
	CheckURL:  checkURL,
	Configure: configure,
}

// checkURL accepts tcp://host:port and tls://host:port, nothing else (no path, user or
// query: a syslog receiver has none). The error names the key, never the value.
func checkURL(v string) error {
	if _, _, err := address(v); err != nil {
		return err
	}
	return nil
}

func address(v string) (hostport string, tls bool, err error) {
	bad := intake.Invalid("url", "tcp://host:port or tls://host:port (RFC 5425) for intake syslog")
	u, perr := url.Parse(v)
	if perr != nil || (u.Scheme != "tcp" && u.Scheme != "tls") || u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return "", false, bad
	}
	if h, p, serr := net.SplitHostPort(u.Host); serr != nil || h == "" || p == "" {
		return "", false, bad
	}
	return u.Host, u.Scheme == "tls", nil
}

// configure checks every key with an error that names it, never its value, and returns
// the Opener that builds the Shipper from the common options (TLS files, timeout,
// retry_budget, Logger, Observer).
func configure(get intake.Getter, o *deliver.Options) (intake.Opener, error) {
	addr, useTLS, err := address(o.URL)
	if err != nil {
		return nil, err
	}
	so := Options{
		Address: addr, Transport: "tcp", Framing: get("syslog_framing"), RFC: get("syslog_rfc"),
		Facility: get("syslog_facility"), SeverityMap: get("syslog_severity_map"), AppName: get("syslog_app_name"),
		Hostname: get("syslog_hostname"), SDID: get("syslog_sd_id"),
	}
	if useTLS {
		so.Transport = "tls"
	}
	switch strings.ToLower(so.Framing) {
	case "octet", "octet-counting", "octet_counting", "newline", "lf", "non-transparent":
	default:
		return nil, intake.Invalid("syslog_framing", "octet (RFC 6587 octet counting) or newline")
	}
	if so.RFC != "5424" && so.RFC != "3164" {
		return nil, intake.Invalid("syslog_rfc", "5424 or 3164")
	}
	if _, err := parseFacility(so.Facility); err != nil {
		return nil, intake.Invalid("syslog_facility", "a facility name (kern, user, auth, authpriv, audit, local0 … local7, …) or a number 0..23")
	}
	if _, err := parseSeverityMap(so.SeverityMap); err != nil {
		return nil, intake.Invalid("syslog_severity_map", "class=severity pairs separated by commas; classes "+strings.Join(classNames[:], ", ")+"; severities emerg … debug or 0..7")
	}
	if so.RFC == "3164" && !printASCII(so.AppName, 32, ":[]") {
		return nil, intake.Invalid("syslog_app_name", "1 to 32 printable ASCII characters without : [ ] (rfc 3164 TAG)")
	}
	if !printASCII(so.AppName, 48, "") {
		return nil, intake.Invalid("syslog_app_name", "1 to 48 printable ASCII characters (RFC 5424 APP-NAME)")
	}
	if so.Hostname != "" && !printASCII(so.Hostname, 255, "") {
		return nil, intake.Invalid("syslog_hostname", "1 to 255 printable ASCII characters (RFC 5424 HOSTNAME)")
	}
	if !validSDID(so.SDID) {
		return nil, intake.Invalid("syslog_sd_id", "name@<private enterprise number>, at most 32 printable ASCII characters without = ] \" or space")
	}
	if so.MaxMessageBytes, err = intake.ParseSize("syslog_max_message_bytes", get("syslog_max_message_bytes")); err != nil ||
		so.MaxMessageBytes < MinMaxMessageBytes || so.MaxMessageBytes > MaxMaxMessageBytes {
		return nil, intake.Invalid("syslog_max_message_bytes", fmt.Sprintf("a size from %d to %d bytes", MinMaxMessageBytes, MaxMaxMessageBytes))
	}
	if !useTLS {
		for _, f := range [...][2]string{{"tls_ca_file", o.TLSCAFile}, {"tls_crt_file", o.TLSCrtFile}, {"tls_key_file", o.TLSKeyFile}, {"tls_server_name", o.TLSServerName}} {
			if f[1] != "" {
				return nil, intake.Invalid(f[0], "set only with a tls:// url (intake syslog)")
			}
		}
	}
	// The rules above are check's: a value they pass and it refuses is a bug here.
	if _, err := check(so); err != nil {
		return nil, intake.Invalid("url", "a configuration the syslog intake can use (check every syslog_* key)")
	}
	return func(o deliver.Options) (intake.Shipper, error) {
		so := so
		verify := o.TLSVerify
		so.TLSVerify, so.TLSCAFile, so.TLSCrtFile, so.TLSKeyFile, so.TLSServerName = &verify, o.TLSCAFile, o.TLSCrtFile, o.TLSKeyFile, o.TLSServerName
		so.Timeout, so.RetryBudget = o.Timeout, o.RetryBudget
		if o.RetryBudget < 0 {
			so.RetryBudget = 0 // deliver's "no in-flush retries": syslog's default, one attempt at least
		}
		so.Logger, so.Observer = o.Logger, o.Observer
		s, err := New(so)
		if err != nil {
			return nil, fmt.Errorf("intake syslog: %w", err)
		}
		if o.APIKey != "" || o.HTTPUser != "" || len(o.Headers) > 0 {
			s.logf(warn, "syslog: api_key, http_user/http_passwd and headers are not used by intake syslog")
		}
		if o.DeadLetterFile != "" {
			s.logf(info, "syslog: dead_letter_file is not used by intake syslog: no message is refused (one longer than syslog_max_message_bytes is cut and marked)")
		}
		return s, nil
	}, nil
}
