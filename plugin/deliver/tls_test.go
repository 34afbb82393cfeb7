package deliver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func writePEM(t *testing.T, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func tlsOptions(url string, log Logger) Options {
	o := testOptions(url, log)
	o.RetryBudget = 50 * time.Millisecond
	return o
}

func TestTLSServerVerification(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshakes are expected
	srv.StartTLS()
	defer srv.Close()
	caFile := writePEM(t, "ca.pem", "CERTIFICATE", srv.Certificate().Raw)

	t.Run("with tls_ca_file", func(t *testing.T) {
		o := tlsOptions(srv.URL, nil)
		o.TLSCAFile = caFile
		s := mustNew(t, o)
		if r := s.Deliver(context.Background(), mkDocs(0, 3, 100)); r != Delivered {
			t.Fatalf("result %v", r)
		}
	})
	t.Run("without the CA", func(t *testing.T) {
		rec := new(recLogger)
		s := mustNew(t, tlsOptions(srv.URL, rec))
		if r := s.Deliver(context.Background(), mkDocs(0, 3, 100)); r != Retry {
			t.Fatalf("result %v, want retry", r)
		}
		if rec.count("error", "certificate") != 1 || s.Stats().Requests != 1 {
			t.Errorf("verification failure not reported as configuration: %v %+v", rec.lines, s.Stats())
		}
	})
	t.Run("wrong server name", func(t *testing.T) {
		o := tlsOptions(srv.URL, nil)
		o.TLSCAFile = caFile
		o.TLSServerName = "intake.invalid"
		s := mustNew(t, o)
		if r := s.Deliver(context.Background(), mkDocs(0, 3, 100)); r != Retry {
			t.Fatalf("result %v, want retry", r)
		}
		o.TLSServerName = "example.com" // in httptest's certificate
		s = mustNew(t, o)
		if r := s.Deliver(context.Background(), mkDocs(0, 3, 100)); r != Delivered {
			t.Fatalf("result %v with the right server name", r)
		}
	})
	t.Run("tls_verify off", func(t *testing.T) {
		rec := new(recLogger)
		o := tlsOptions(srv.URL, rec)
		o.TLSVerify = false
		s := mustNew(t, o)
		if r := s.Deliver(context.Background(), mkDocs(0, 3, 100)); r != Delivered {
			t.Fatalf("result %v", r)
		}
		if rec.count("warn", "tls_verify is off") != 1 {
			t.Errorf("no warning: %v", rec.lines)
		}
	})
}

// certPair makes a certificate signed by parent (self-signed when parent is nil).
func certPair(t *testing.T, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  isCA,
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func TestTLSClientCertificate(t *testing.T) {
	ca, caKey := certPair(t, "k8saudit test CA", nil, nil, true)
	client, clientKey := certPair(t, "fluent-bit", ca, caKey, false)
	pool := x509.NewCertPool()
	pool.AddCert(ca)

	var gotCN string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotCN = r.TLS.PeerCertificates[0].Subject.CommonName
		w.WriteHeader(202)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()

	keyDER, err := x509.MarshalECPrivateKey(clientKey)
	if err != nil {
		t.Fatal(err)
	}
	o := tlsOptions(srv.URL, nil)
	o.TLSCAFile = writePEM(t, "server-ca.pem", "CERTIFICATE", srv.Certificate().Raw)

	rec := new(recLogger)
	o.Logger = rec
	s := mustNew(t, o)
	if r := s.Deliver(context.Background(), mkDocs(0, 3, 100)); r != Retry {
		t.Fatalf("without a client certificate: %v, want retry", r)
	}
	if rec.count("error", "certificate") != 1 {
		t.Errorf("refused client certificate not reported: %v", rec.lines)
	}

	o.TLSCrtFile = writePEM(t, "client.pem", "CERTIFICATE", client.Raw)
	o.TLSKeyFile = writePEM(t, "client-key.pem", "EC PRIVATE KEY", keyDER)
	s = mustNew(t, o)
	if r := s.Deliver(context.Background(), mkDocs(0, 3, 100)); r != Delivered {
		t.Fatalf("with the client certificate: %v", r)
	}
	if gotCN != "fluent-bit" {
		t.Errorf("server saw client %q", gotCN)
	}
}

// TestTLSFileErrorsWrap: a missing CA or certificate file is an error that names the key
// and wraps the file system's error, so that a caller can tell a missing file
// (errors.Is os.ErrNotExist) from a bad one.
func TestTLSFileErrorsWrap(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "absent.pem")
	for _, o := range []Options{{TLSCAFile: missing}, {TLSCrtFile: missing, TLSKeyFile: missing}} {
		_, err := tlsConfig(&o)
		if err == nil || !errors.Is(err, os.ErrNotExist) {
			t.Errorf("tlsConfig(%+v) = %v, want an error wrapping os.ErrNotExist", o, err)
		}
	}
}
