package deliver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNewRejectsBadOptions(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	os.WriteFile(notPEM, []byte("hello"), 0o600)
	readOnly := filepath.Join(dir, "ro")
	os.Mkdir(readOnly, 0o500)
	cases := []struct {
		name string
		set  func(*Options)
		want string
	}{
		{"unknown intake", func(o *Options) { o.Intake = "kafka" }, `intake "kafka"`},
		{"no url", func(o *Options) { o.URL = "" }, "url is required"},
		{"bad scheme", func(o *Options) { o.URL = "ftp://x" }, "scheme"},
		{"no host", func(o *Options) { o.URL = "http://" }, "no host"},
		{"level", func(o *Options) { o.CompressLevel = 12 }, "compress_level"},
		{"negative batch", func(o *Options) { o.BatchBytes = -1 }, "batch_bytes"},
		{"negative events", func(o *Options) { o.BatchEvents = -1 }, "batch_events"},
		{"negative timeout", func(o *Options) { o.Timeout = -time.Second }, "timeout"},
		{"unreadable CA", func(o *Options) { o.TLSCAFile = filepath.Join(dir, "missing.pem") }, "tls_ca_file"},
		{"CA not PEM", func(o *Options) { o.TLSCAFile = notPEM }, "no PEM certificate"},
		{"cert without key", func(o *Options) { o.TLSCrtFile = notPEM }, "tls_crt_file and tls_key_file"},
		{"bad key pair", func(o *Options) { o.TLSCrtFile, o.TLSKeyFile = notPEM, notPEM }, "tls_crt_file"},
		{"dead letter not writable", func(o *Options) { o.DeadLetterFile = filepath.Join(readOnly, "sub", "dl") }, "dead_letter_file"},
		{"header name", func(o *Options) { o.Headers = [][2]string{{"X Bad", "v"}} }, "invalid header name"},
		{"header value", func(o *Options) { o.Headers = [][2]string{{"X-Ok", "a\r\nInjected: 1"}} }, "control character"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := Options{URL: "https://intake.example/v1", TLSVerify: true}
			c.set(&o)
			s, err := New(o)
			if err == nil {
				s.Close()
				t.Fatalf("New accepted %+v", o)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not name %q", err, c.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	s, err := New(Options{URL: "http://127.0.0.1:1/x"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	o := s.o
	if o.Intake != "ndjson" || o.BatchBytes != DefaultBatchBytes || o.BatchEvents != DefaultBatchEvents ||
		o.Timeout != DefaultTimeout || o.RetryBudget != DefaultRetryBudget || o.CompressLevel != 1 ||
		o.BackoffInitial != DefaultBackoff || o.BackoffMax != DefaultBackoffMax {
		t.Errorf("defaults %+v", o)
	}
}

func TestDeadLetterFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dl.ndjson")
	s, err := New(Options{URL: "http://127.0.0.1:1/x", DeadLetterFile: path})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("dead-letter file %v %v", fi.Mode(), err)
	}
}
