package syslog

import (
	"strings"
	"testing"
	"time"
)

// TestKeysDeclareEveryOption: the key table names each option once, and its defaults
// are the ones check applies.
func TestKeysDeclareEveryOption(t *testing.T) {
	want := "address transport framing rfc facility severity_map app_name hostname sd_id max_message_bytes tls_verify tls_ca_file tls_crt_file tls_key_file tls_server_name timeout retry_budget"
	var names []string
	for _, k := range Keys {
		names = append(names, k.Name)
		if k.Doc == "" {
			t.Errorf("%s has no doc", k.Name)
		}
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
	if _, err := check(Options{}); err == nil {
		t.Fatal("no address accepted")
	}
}
