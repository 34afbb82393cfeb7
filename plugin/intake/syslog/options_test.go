package syslog

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestKeysDeclareEveryOption: the declaration names each option once (the url gives
// Address and Transport, the common keys TLS, timeout and retry_budget), and its
// defaults are the ones check applies.
func TestKeysDeclareEveryOption(t *testing.T) {
	want := "syslog_framing syslog_rfc syslog_facility syslog_app_name syslog_sd_id syslog_max_message_bytes syslog_severity_map syslog_hostname"
	var names []string
	for _, k := range Intake.Keys {
		names = append(names, k.Name)
	}
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("keys %s\nwant %s", got, want)
	}
	s, err := check(Options{Address: "127.0.0.1:514"})
	if err != nil {
		t.Fatal(err)
	}
	if !s.octet || s.tls || s.rfc3164 || s.facility != 13 || s.AppName != "k8saudit" || s.SDID != DefaultSDID ||
		s.MaxMessageBytes != DefaultMaxMessageBytes || !s.verify || s.Timeout != 10*time.Second || s.RetryBudget != 10*time.Second {
		t.Fatalf("defaults %+v", s)
	}
	def := map[string]string{}
	for _, k := range Intake.Keys {
		def[k.Name] = k.Default
	}
	if def["syslog_framing"] != "octet" || def["syslog_rfc"] != "5424" || def["syslog_facility"] != facilities[s.facility] ||
		def["syslog_app_name"] != s.AppName || def["syslog_sd_id"] != s.SDID || def["syslog_max_message_bytes"] != fmt.Sprint(s.MaxMessageBytes) {
		t.Fatalf("declared defaults %v differ from check's", def)
	}
	if _, err := check(Options{}); err == nil {
		t.Fatal("no address accepted")
	}
}
