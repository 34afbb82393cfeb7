package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// codec maps the compression key to franz-go's codec. The record batch is the unit of
// compression: nothing is compressed twice.
func codec(name string) (kgo.CompressionCodec, error) {
	switch name {
	case "zstd":
		// The fastest level: audit JSON compresses well at any level, and CPU is
		// what the node has least of (measured: make bench).
		return kgo.ZstdCompression().WithLevel(1), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "none", "off":
		return kgo.NoCompression(), nil
	}
	return kgo.CompressionCodec{}, fmt.Errorf("compression %q: want zstd, lz4, gzip, snappy or none", name)
}

// clientOpts turns normalized options into the kgo client's options.
func clientOpts(o *Options, hooks ...kgo.Hook) ([]kgo.Opt, error) {
	c, _ := codec(o.Compression)
	opts := []kgo.Opt{
		kgo.SeedBrokers(o.Brokers...),
		kgo.ClientID(o.ClientID),
		kgo.DefaultProduceTopic(o.Topic),
		kgo.ProducerBatchCompression(c),
		// A batch holds at least one whole record: room for the largest document
		// we produce plus the record and batch headers.
		kgo.ProducerBatchMaxBytes(int32(o.MaxRecordBytes + 4096)),
		kgo.ProduceRequestTimeout(o.Timeout),
		kgo.RequestTimeoutOverhead(o.Timeout),
		kgo.ProducerLinger(0), // a flush is synchronous: nothing to wait for
		// A missing topic is configuration: fail the records quickly (the chunk is
		// Retry, one error line) rather than wait the whole budget.
		kgo.UnknownTopicRetries(2),
		// A leader that moved is looked up again within a second, not the default 5 s.
		kgo.MetadataMinAge(time.Second),
		kgo.WithHooks(hooks...),
	}
	if o.Acks == "all" {
		// Idempotence is never given up: a batch whose request may have been written is
		// retried with its sequence until its answer comes, never failed. A flush whose
		// budget ends first leaves such records in flight (shipper.go, inflight.go).
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	} else {
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	}
	if o.TLS {
		tc, err := tlsConfig(o)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	switch o.SASLMechanism {
	case "PLAIN":
		opts = append(opts, kgo.SASL(plain.Auth{User: o.SASLUsername, Pass: o.SASLPassword}.AsMechanism()))
	case "SCRAM-SHA-256":
		opts = append(opts, kgo.SASL(scram.Auth{User: o.SASLUsername, Pass: o.SASLPassword}.AsSha256Mechanism()))
	case "SCRAM-SHA-512":
		opts = append(opts, kgo.SASL(scram.Auth{User: o.SASLUsername, Pass: o.SASLPassword}.AsSha512Mechanism()))
	}
	return opts, nil
}

// tlsConfig builds the client TLS config. Errors name the key and the file, which are
// not secrets; the key file's content never appears.
func tlsConfig(o *Options) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.TLSServerName, InsecureSkipVerify: !o.TLSVerify} //nolint:gosec // tls_verify off is the user's explicit choice, warned at New
	if o.TLSCAFile != "" {
		pem, err := os.ReadFile(o.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls_ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls_ca_file %s: no PEM certificate in it", o.TLSCAFile)
		}
		tc.RootCAs = pool
	}
	if o.TLSCrtFile != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCrtFile, o.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls_crt_file/tls_key_file: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}
