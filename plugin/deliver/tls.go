package deliver

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// tlsConfig builds the client TLS configuration for an https:// intake. The CA file adds
// to the system roots rather than replacing them, so pointing at a private CA does not
// break a public endpoint behind the same option set.
func tlsConfig(o *Options) (*tls.Config, error) {
	c := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         o.TLSServerName,
		InsecureSkipVerify: !o.TLSVerify, // #nosec G402 -- explicit tls_verify off
	}
	if o.TLSCAFile != "" {
		pem, err := os.ReadFile(o.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls_ca_file %q: %w", o.TLSCAFile, err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls_ca_file %q: no PEM certificate found", o.TLSCAFile)
		}
		c.RootCAs = pool
	}
	if o.TLSCrtFile != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCrtFile, o.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls_crt_file %q / tls_key_file %q: %w", o.TLSCrtFile, o.TLSKeyFile, err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
