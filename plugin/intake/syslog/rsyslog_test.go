package syslog

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/k8saudit/k8saudit/normalize"
	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/valyala/fastjson"
)

var (
	rsyslogOnce sync.Once
	rsyslogWhy  string // why rsyslogd cannot be used; "" when it can
)

// needRsyslog returns once rsyslogd and its gtls driver are installed, installing the
// Debian packages when they are missing and apt-get can; otherwise it skips with the
// reason, or fails under CI=true, where the test must run.
func needRsyslog(t *testing.T) {
	t.Helper()
	rsyslogOnce.Do(func() {
		have := func() bool {
			if _, err := exec.LookPath("rsyslogd"); err != nil {
				return false
			}
			m, _ := filepath.Glob("/usr/lib/*/rsyslog/lmnsd_gtls.so")
			m2, _ := filepath.Glob("/usr/lib/rsyslog/lmnsd_gtls.so")
			return len(m)+len(m2) > 0
		}
		if have() {
			return
		}
		if _, err := exec.LookPath("apt-get"); err != nil || os.Geteuid() != 0 {
			rsyslogWhy = "rsyslogd (rsyslog, rsyslog-gnutls) not installed and apt-get not usable as root"
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "--no-install-recommends", "rsyslog", "rsyslog-gnutls")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil || !have() {
			rsyslogWhy = fmt.Sprintf("apt-get install rsyslog rsyslog-gnutls failed: %v: %s", err, lastLine(out))
		}
	})
	if rsyslogWhy != "" {
		if os.Getenv("CI") == "true" {
			t.Fatal(rsyslogWhy)
		}
		t.Skip(rsyslogWhy)
	}
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// rsyslog is one rsyslogd started for a test, on its own config and loopback port.
type rsyslog struct {
	addr, dir string
}

// startRsyslog starts rsyslogd -n with imtcp on a free loopback port (the gtls driver
// in TLS mode with certFile/keyFile when tls), writing each received message twice:
// raw.log holds %rawmsg% (the message as received, without framing), parsed.log what
// rsyslog parsed (severity, app-name, hostname, structured data, msg).
func startRsyslog(t *testing.T, tlsFiles []string) *rsyslog {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	var g, m string
	if tlsFiles != nil {
		g = fmt.Sprintf(` defaultNetstreamDriverCAFile=%q defaultNetstreamDriverCertFile=%q defaultNetstreamDriverKeyFile=%q`, tlsFiles[0], tlsFiles[1], tlsFiles[2])
		m = ` streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon"`
	}
	conf := fmt.Sprintf(`$MaxMessageSize 1m
global( workDirectory=%q%s)
module(load="imtcp" maxFrameSize="2000000"%s)
input(type="imtcp" address="127.0.0.1" port="%d")
template(name="whole" type="string" string="%%rawmsg%%\n")
template(name="parsed" type="list") {
  property(name="syslogseverity") constant(value="\t")
  property(name="app-name") constant(value="\t")
  property(name="hostname") constant(value="\t")
  property(name="structured-data") constant(value="\t")
  property(name="msg") constant(value="\n")
}
if $inputname == "imtcp" then {
  action(type="omfile" file=%q template="whole")
  action(type="omfile" file=%q template="parsed")
}
`, dir, g, m, port, filepath.Join(dir, "raw.log"), filepath.Join(dir, "parsed.log"))
	cf := filepath.Join(dir, "rsyslog.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("rsyslogd", "-n", "-f", cf, "-i", filepath.Join(dir, "rsyslogd.pid"))
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("rsyslogd output:\n%s", stderr.String())
		}
	})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for deadline := time.Now().Add(15 * time.Second); ; {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rsyslogd did not listen on %s: %s", addr, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &rsyslog{addr: addr, dir: dir}
}

// lines waits until file holds n lines and returns them.
func (r *rsyslog) lines(t *testing.T, file string, n int) [][]byte {
	t.Helper()
	var got [][]byte
	for deadline := time.Now().Add(30 * time.Second); ; {
		got = got[:0]
		if f, err := os.Open(filepath.Join(r.dir, file)); err == nil {
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 4<<20)
			for sc.Scan() {
				got = append(got, bytes.Clone(sc.Bytes()))
			}
			f.Close()
		}
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// shipAll delivers list in chunks of 50 and fails unless every chunk is Delivered.
func shipAll(t *testing.T, sh *Shipper, list [][]byte) {
	t.Helper()
	for i := 0; i < len(list); i += 50 {
		d := toDocsFrom(list[i:min(i+50, len(list))], i)
		if r := sh.Deliver(context.Background(), d); r != deliver.Delivered {
			t.Fatalf("chunk at %d: %v", i, r)
		}
	}
}

func toDocsFrom(list [][]byte, first int) *deliver.Docs {
	d := &deliver.Docs{}
	for i, b := range list {
		d.Append(b, deliver.Meta{Time: 1700000000123456789 + int64(first+i)*1000})
	}
	return d
}

// checkReceived compares what rsyslog wrote with what was sent: each message arrives
// whole (raw.log equals the message we formatted, byte for byte, in order), and rsyslog
// parsed it as RFC 5424 with our severity, APP-NAME, HOSTNAME and structured data, its
// MSG being the document, valid JSON.
func checkReceived(t *testing.T, r *rsyslog, o Options, list [][]byte) {
	t.Helper()
	s := mustSettings(t, o)
	fm := newFormatter(s)
	raw := r.lines(t, "raw.log", len(list))
	parsed := r.lines(t, "parsed.log", len(list))
	if len(raw) != len(list) || len(parsed) != len(list) {
		t.Fatalf("rsyslog wrote %d raw and %d parsed lines, want %d", len(raw), len(parsed), len(list))
	}
	big := 0
	for i, d := range list {
		out, _, _ := fm.appendFrame(nil, d, 1700000000123456789+int64(i)*1000)
		want := out
		if s.octet {
			want = out[bytes.IndexByte(out, ' ')+1:]
		} else {
			want = out[:len(out)-1]
		}
		if !bytes.Equal(raw[i], want) {
			t.Fatalf("message %d (%d bytes) arrived as %d bytes:\n got %.200s\nwant %.200s", i, len(want), len(raw[i]), raw[i], want)
		}
		f := strings.SplitN(string(parsed[i]), "\t", 5)
		if len(f) != 5 {
			t.Fatalf("parsed line %d: %.200s", i, parsed[i])
		}
		sev, _ := strconv.Atoi(f[0])
		if pri := priOf(t, append([]byte("0 "), want...)); sev != pri%8 || f[1] != s.AppName || f[2] != s.Hostname {
			t.Fatalf("parsed %d: severity %s app %s host %s, sent PRI %d", i, f[0], f[1], f[2], pri)
		}
		if !strings.HasPrefix(f[3], "[k8saudit@32473 ") && !(f[3] == "-" && (s.rfc3164 || bytes.Contains(want, []byte(" - {")))) {
			t.Fatalf("parsed %d: structured data %.200s", i, f[3])
		}
		msg := strings.TrimPrefix(f[4], " ")
		if s.MaxMessageBytes < len(d) {
			if len(want) > s.MaxMessageBytes || !strings.Contains(msg, `"k8saudit_truncated":`+strconv.Itoa(len(d))+"}") {
				t.Fatalf("parsed %d: %d bytes, not cut to %d and marked", i, len(want), s.MaxMessageBytes)
			}
		} else if msg != string(d) {
			t.Fatalf("parsed %d: MSG differs from the document (%d vs %d bytes)", i, len(msg), len(d))
		}
		if err := fastjson.Validate(msg); err != nil {
			t.Fatalf("parsed %d: MSG is not JSON: %v", i, err)
		}
		if len(d) >= 200<<10 {
			big++
		}
	}
	if big < 3 {
		t.Fatalf("only %d events of 200 KiB checked", big)
	}
}

// testList is the fixtures' ECS documents with three 200 KiB events among them.
func testList(t *testing.T) [][]byte {
	list := realDocs(t, normalize.ECS)
	for i, at := range []int{0, len(list) / 2, len(list)} {
		b := bigDoc(t, i, 200<<10)
		list = append(list[:at:at], append([][]byte{b}, list[at:]...)...)
	}
	return list
}

// TestRsyslogTCP: a real rsyslogd receives every event whole over TCP, with octet
// counting and with newline framing, in RFC 5424 and RFC 3164, 200 KiB events
// included; with max_message_bytes below their size they arrive cut, still valid
// JSON, and counted.
func TestRsyslogTCP(t *testing.T) {
	needRsyslog(t)
	list := testList(t)
	for _, c := range []struct {
		name string
		o    Options
		cut  bool
	}{
		{"octet", Options{Framing: "octet"}, false},
		{"newline", Options{Framing: "newline"}, false},
		{"rfc3164", Options{Framing: "newline", RFC: "3164"}, false},
		{"cut", Options{MaxMessageBytes: 64 << 10}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := startRsyslog(t, nil)
			o := c.o
			o.Address, o.Hostname, o.Timeout = r.addr, "node-1", 5*time.Second
			sh, err := New(o)
			if err != nil {
				t.Fatal(err)
			}
			defer sh.Close()
			shipAll(t, sh, list)
			checkReceived(t, r, o, list)
			cuts := uint64(0)
			fm := newFormatter(mustSettings(t, o))
			for _, d := range list {
				if _, cut, _ := fm.appendFrame(nil, d, 1); cut {
					cuts++
				}
			}
			if (cuts > 0) != c.cut {
				t.Fatalf("%d documents to cut", cuts)
			}
			if n := sh.Counters(); n.MaybeDupDocs != 0 || n.Truncated != cuts || n.Connects != 1 {
				t.Fatalf("counters %+v", n)
			}
		})
	}
}

// TestRsyslogTLS: the same over TLS (RFC 5425) to rsyslog's gtls driver, the server's
// certificate verified against a CA generated for the test.
func TestRsyslogTLS(t *testing.T) {
	needRsyslog(t)
	files := makeCA(t)
	r := startRsyslog(t, files)
	list := testList(t)
	o := Options{Address: r.addr, Transport: "tls", TLSCAFile: files[0], Hostname: "node-1", Timeout: 5 * time.Second}
	sh, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	shipAll(t, sh, list)
	checkReceived(t, r, o, list)

	// A client that trusts another CA is refused: nothing is sent in the clear.
	other := makeCA(t)
	o2 := o
	o2.TLSCAFile = other[0]
	o2.RetryBudget = 300 * time.Millisecond
	sh2, err := New(o2)
	if err != nil {
		t.Fatal(err)
	}
	defer sh2.Close()
	if res := sh2.Deliver(context.Background(), toDocsFrom(list[:1], 0)); res != deliver.Retry {
		t.Fatalf("untrusted certificate: %v", res)
	}
}

// makeCA writes a CA and a server certificate for 127.0.0.1 signed by it; it returns
// the CA, certificate and key files.
func makeCA(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "k8saudit test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srv := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, srv, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	write := func(name, typ string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return []string{write("ca.pem", "CERTIFICATE", caDER), write("srv.pem", "CERTIFICATE", der), write("srv.key", "PRIVATE KEY", keyDER)}
}
