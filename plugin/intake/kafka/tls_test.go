package kafka

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/k8saudit/k8saudit/plugin/deliver"
)

// selfSigned returns a server certificate for 127.0.0.1 and its PEM, written to dir.
func selfSigned(t *testing.T, dir, name string) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{name},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name+".pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, p
}

// TLS with the brokers' CA delivers, combined with SASL; a wrong CA is Retry (never
// dropped) with an error line that says TLS; tls_verify off delivers and is warned.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	cert, ca := selfSigned(t, dir, "broker")
	_, otherCA := selfSigned(t, dir, "other")
	c := newFake(t, kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}),
		kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", "k8saudit", secretPW))
	base := Options{Brokers: c.ListenAddrs(), TLS: true, TLSVerify: true, SASLMechanism: "SCRAM-SHA-512", SASLUsername: "k8saudit", SASLPassword: secretPW, RetryBudget: 5 * time.Second}

	o := base
	o.TLSCAFile = ca
	if r := newShipper(t, o).Deliver(context.Background(), chunk(t, "tls", 20)); r != deliver.Delivered {
		t.Fatalf("with the CA: %v", r)
	}

	log := new(recLog)
	o = base
	o.TLSCAFile, o.RetryBudget, o.Logger = otherCA, time.Second, log
	if r := newShipper(t, o).Deliver(context.Background(), chunk(t, "tls-bad", 5)); r != deliver.Retry {
		t.Fatalf("with a wrong CA: %v, want retry", r)
	}
	if l := log.String(); !strings.Contains(l, "TLS failed") || strings.Contains(l, secretPW) {
		t.Fatalf("log for a wrong CA:\n%s", l)
	}

	log = new(recLog)
	o = base
	o.TLSVerify, o.Logger = false, log
	if r := newShipper(t, o).Deliver(context.Background(), chunk(t, "tls-noverify", 5)); r != deliver.Delivered {
		t.Fatalf("tls_verify off: %v", r)
	}
	if !strings.Contains(log.String(), "tls_verify is off") {
		t.Fatalf("no warning for tls_verify off:\n%s", log)
	}
}
