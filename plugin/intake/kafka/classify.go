package kafka

import (
	"context"
	"errors"

	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/twmb/franz-go/pkg/kerr"
)

// verdict is what one record's produce error means for the chunk.
type verdict int

const (
	vRetry  verdict = iota // transient: the chunk is handed back (Retry)
	vConfig                // configuration (missing topic, ACL, SASL): Retry, and an error line
	vReject                // permanent for this record: set aside, the chunk goes on
)

// classify decides what a record's error means. Only what no retry can ever fix is
// permanent: a record larger than the broker accepts, or one the broker calls invalid.
// Everything else keeps the chunk: nothing is dropped because a broker was down, a
// leader moved, replicas were short (NOT_ENOUGH_REPLICAS) or a credential was refused.
func classify(err error) verdict {
	switch {
	case errors.Is(err, kerr.MessageTooLarge), errors.Is(err, kerr.RecordListTooLarge),
		errors.Is(err, kerr.InvalidRecord), errors.Is(err, kerr.CorruptMessage):
		return vReject
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return vRetry
	case errors.Is(err, kerr.UnknownTopicOrPartition), errors.Is(err, kerr.InvalidTopicException),
		errors.Is(err, kerr.TopicAuthorizationFailed), errors.Is(err, kerr.ClusterAuthorizationFailed),
		errors.Is(err, kerr.TransactionalIDAuthorizationFailed),
		errors.Is(err, kerr.SaslAuthenticationFailed), errors.Is(err, kerr.UnsupportedSaslMechanism),
		errors.Is(err, kerr.IllegalSaslState):
		return vConfig
	}
	return vRetry
}

// likelyCause says what to fix for a configuration error.
func likelyCause(err error) string {
	switch {
	case errors.Is(err, kerr.UnknownTopicOrPartition):
		return "the topic does not exist: create it (k8saudit does not auto-create topics)"
	case errors.Is(err, kerr.TopicAuthorizationFailed), errors.Is(err, kerr.ClusterAuthorizationFailed),
		errors.Is(err, kerr.TransactionalIDAuthorizationFailed):
		return "the principal lacks an ACL: WRITE and DESCRIBE on the topic, IDEMPOTENT_WRITE on the cluster (Kafka < 3.0)"
	case errors.Is(err, kerr.SaslAuthenticationFailed), errors.Is(err, kerr.UnsupportedSaslMechanism), errors.Is(err, kerr.IllegalSaslState):
		return "SASL refused: check sasl_mechanism, sasl_username and sasl_password"
	case errors.Is(err, kerr.InvalidTopicException):
		return "check the topic name"
	}
	return "TLS failed: check tls, tls_verify, tls_ca_file and tls_server_name"
}

// refusal names a vReject error's dead-letter reason: a record or batch too large for
// the broker, or a record it refused.
func refusal(err error) deliver.DeadLetterReason {
	if errors.Is(err, kerr.MessageTooLarge) || errors.Is(err, kerr.RecordListTooLarge) {
		return deliver.DeadTooLarge
	}
	return deliver.DeadRefusedItem
}
