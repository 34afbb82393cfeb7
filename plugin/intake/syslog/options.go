package syslog

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/k8saudit/k8saudit/plugin/deliver"
)

// Defaults of the options left at their zero value.
const (
	DefaultMaxMessageBytes = 1 << 20 // the normalizer's max_event_bytes default: nothing is cut by default
	MinMaxMessageBytes     = 2048    // RFC 5425 §4.3.1: every receiver takes 2048 octets
	MaxMaxMessageBytes     = 64 << 20
	DefaultTimeout         = 10 * time.Second
	DefaultRetryBudget     = 10 * time.Second
	DefaultAppName         = "k8saudit"
	DefaultSDID            = "k8saudit@32473" // 32473 is the IANA example enterprise number (RFC 5612)
	DefaultFacility        = 13               // log audit (RFC 5424 table 1)
)

// Options configures a Shipper. The zero value of each field means its default.
type Options struct {
	Address   string // host:port of the receiver (required)
	Transport string // tcp (default) or tls (RFC 5425)
	Framing   string // octet (RFC 6587 octet counting, default) or newline (legacy receivers)
	RFC       string // 5424 (default) or 3164 (BSD syslog, no structured data)
	Facility  string // facility name (kern…local7, "audit" = 13) or number 0..23; default audit (13)
	// SeverityMap overrides the severity of a class of document: comma-separated
	// class=severity pairs; the classes and defaults are in the package doc.
	SeverityMap     string
	AppName         string // APP-NAME (RFC 3164: TAG); default k8saudit
	Hostname        string // HOSTNAME; default os.Hostname()
	SDID            string // SD-ID of the structured data element; default k8saudit@32473
	MaxMessageBytes int    // bound on one message without its framing; default 1 MiB

	TLSVerify     *bool  // verify the receiver's certificate (default true)
	TLSCAFile     string // PEM CA bundle; default the system roots
	TLSCrtFile    string // client certificate (mutual TLS), with TLSKeyFile
	TLSKeyFile    string
	TLSServerName string // name checked in the certificate; default the address's host

	Timeout     time.Duration // connect + TLS handshake, each write, and the wait for the receiver's ACKs
	RetryBudget time.Duration // time one Deliver may spend reconnecting and resending

	Logger deliver.Logger // nil = silent
	// Observer hears of each attempt to send a chunk, as one request (nil = none): the
	// metrics' requests by class (2xx: every byte acknowledged; error: the attempt
	// failed), latency and messages per attempt.
	Observer deliver.Observer
}

// facilities are the RFC 5424 facility names, by code; "audit" is 13 (log audit).
var facilities = [...]string{"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "audit", "alert", "clock",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}

// Severities (RFC 5424 table 2).
const (
	sevEmerg = iota
	sevAlert
	sevCrit
	sevErr
	sevWarning
	sevNotice
	sevInfo
	sevDebug
)

var severities = [...]string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// Classes of documents, the keys of the severity map (see classify).
const (
	clCritical  = iota // detection of severity critical
	clHigh             // detection of severity high
	clDetection        // any other detection
	clDenied           // authorization denied the request
	clFailure          // the request failed (event.outcome failure)
	clError            // a pipeline_error document (a record that held no event)
	clWrite            // any other mutating request
	clRead             // everything else
	nClasses
)

var classNames = [nClasses]string{"critical", "high", "detection", "denied", "failure", "error", "write", "read"}

var defaultSeverity = [nClasses]uint8{sevCrit, sevErr, sevWarning, sevWarning, sevWarning, sevWarning, sevNotice, sevInfo}

// settings are Options checked and resolved.
type settings struct {
	Options
	tls      bool
	octet    bool
	rfc3164  bool
	facility int
	sev      [nClasses]uint8
	verify   bool
}

func parseFacility(s string) (int, error) {
	if s == "" {
		return DefaultFacility, nil
	}
	for i, n := range facilities {
		if strings.EqualFold(s, n) {
			return i, nil
		}
	}
	if strings.EqualFold(s, "security") {
		return 4, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n < len(facilities) {
		return n, nil
	}
	return 0, fmt.Errorf("facility %q: want a name (kern…local7, audit) or 0..23", s)
}

func parseSeverity(s string) (uint8, bool) {
	s = strings.TrimSpace(s)
	for i, n := range severities {
		if strings.EqualFold(s, n) {
			return uint8(i), true
		}
	}
	switch strings.ToLower(s) {
	case "error":
		return sevErr, true
	case "warn":
		return sevWarning, true
	case "critical":
		return sevCrit, true
	case "informational":
		return sevInfo, true
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 7 {
		return uint8(n), true
	}
	return 0, false
}

func parseSeverityMap(s string) ([nClasses]uint8, error) {
	m := defaultSeverity
	for _, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		if !ok {
			return m, fmt.Errorf("severity_map %q: want class=severity", pair)
		}
		c := -1
		for i, n := range classNames {
			if strings.EqualFold(strings.TrimSpace(k), n) {
				c = i
			}
		}
		if c < 0 {
			return m, fmt.Errorf("severity_map: unknown class %q (want one of %s)", k, strings.Join(classNames[:], ", "))
		}
		sv, ok := parseSeverity(v)
		if !ok {
			return m, fmt.Errorf("severity_map: %s: unknown severity %q (want emerg…debug or 0..7)", k, v)
		}
		m[c] = sv
	}
	return m, nil
}

// printASCII reports whether s is 1..max bytes of PRINTUSASCII (%d33-126), except the
// bytes in not.
func printASCII(s string, max int, not string) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 33 || s[i] > 126 || strings.IndexByte(not, s[i]) >= 0 {
			return false
		}
	}
	return true
}

// validSDID checks an SD-ID: SD-NAME (1*32 PRINTUSASCII but = SP ] ") with, for a
// private one, "@" and a decimal enterprise number (RFC 5424 §6.3.2, §7.2.2).
func validSDID(s string) bool {
	name, pen, private := strings.Cut(s, "@")
	if !printASCII(s, 32, `= ]"`) || !printASCII(name, 32, `= ]"@`) {
		return false
	}
	if !private {
		return false // the IANA-registered names (timeQuality, origin, meta) are not ours to use
	}
	if pen == "" {
		return false
	}
	for i := 0; i < len(pen); i++ {
		if (pen[i] < '0' || pen[i] > '9') && pen[i] != '.' {
			return false
		}
	}
	return true
}

// check validates o and fills in the defaults. Errors name the option and the rule,
// never a value that could be a credential (none of these is, but the key file path
// is only named).
func check(o Options) (settings, error) {
	s := settings{Options: o, verify: true}
	if o.Address == "" {
		return s, errors.New("address is required (host:port)")
	}
	if _, port, err := net.SplitHostPort(o.Address); err != nil || port == "" {
		return s, fmt.Errorf("address %q: want host:port", o.Address)
	}
	switch strings.ToLower(o.Transport) {
	case "", "tcp":
	case "tls":
		s.tls = true
	default:
		return s, fmt.Errorf("transport %q: want tcp or tls", o.Transport)
	}
	switch strings.ToLower(o.Framing) {
	case "", "octet", "octet-counting", "octet_counting":
		s.octet = true
	case "newline", "lf", "non-transparent":
	default:
		return s, fmt.Errorf("framing %q: want octet or newline", o.Framing)
	}
	switch o.RFC {
	case "", "5424":
	case "3164":
		s.rfc3164 = true
	default:
		return s, fmt.Errorf("rfc %q: want 5424 or 3164", o.RFC)
	}
	var err error
	if s.facility, err = parseFacility(o.Facility); err != nil {
		return s, err
	}
	if s.sev, err = parseSeverityMap(o.SeverityMap); err != nil {
		return s, err
	}
	if s.AppName == "" {
		s.AppName = DefaultAppName
	}
	if s.rfc3164 {
		// TAG: at most 32 characters (RFC 3164 §4.1.3); ':' '[' would end it early.
		if !printASCII(s.AppName, 32, ":[]") {
			return s, fmt.Errorf("app_name %q: want 1..32 printable ASCII characters without : [ ] for rfc 3164", s.AppName)
		}
	} else if !printASCII(s.AppName, 48, "") {
		return s, fmt.Errorf("app_name %q: want 1..48 printable ASCII characters (RFC 5424 APP-NAME)", s.AppName)
	}
	if s.Hostname == "" {
		h, err := os.Hostname()
		if err != nil || !printASCII(h, 255, "") {
			h = "-" // RFC 5424 NILVALUE: the receiver fills in the peer's address
		}
		s.Hostname = h
	}
	if !printASCII(s.Hostname, 255, "") {
		return s, fmt.Errorf("hostname %q: want 1..255 printable ASCII characters (RFC 5424 HOSTNAME)", s.Hostname)
	}
	if s.SDID == "" {
		s.SDID = DefaultSDID
	}
	if !validSDID(s.SDID) {
		return s, fmt.Errorf("sd_id %q: want name@<enterprise number>, at most 32 printable ASCII characters without = ] \" or space", s.SDID)
	}
	if s.MaxMessageBytes == 0 {
		s.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if s.MaxMessageBytes < MinMaxMessageBytes || s.MaxMessageBytes > MaxMaxMessageBytes {
		return s, fmt.Errorf("max_message_bytes %d: want %d..%d", s.MaxMessageBytes, MinMaxMessageBytes, MaxMaxMessageBytes)
	}
	if o.TLSVerify != nil {
		s.verify = *o.TLSVerify
	}
	if !s.tls && (o.TLSCAFile != "" || o.TLSCrtFile != "" || o.TLSKeyFile != "" || o.TLSServerName != "") {
		return s, errors.New("tls_* options are set but transport is not tls")
	}
	if (o.TLSCrtFile == "") != (o.TLSKeyFile == "") {
		return s, errors.New("tls_crt_file and tls_key_file go together")
	}
	if o.Timeout < 0 || o.RetryBudget < 0 {
		return s, errors.New("timeout and retry_budget must not be negative")
	}
	if s.Timeout == 0 {
		s.Timeout = DefaultTimeout
	}
	if s.RetryBudget == 0 {
		s.RetryBudget = DefaultRetryBudget
	}
	return s, nil
}
