// Package discard is the smallest intake: it counts the documents and drops them. It is
// not in the registry's list (plugin/intake/all); tests register it to prove that an
// intake is one package plus one registry line, and it shows an intake with its own
// transport (a Shipper that is not deliver's HTTP core).
package discard

import (
	"context"
	"sync/atomic"

	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/intake"
)

// Intake is the discard intake's declaration: one key, discard_note, shown on the
// startup line, and discard_token, a secret that must never be shown.
var Intake = &intake.Intake{
	Name: "discard",
	Keys: []intake.Key{
		{Name: "discard_note", Default: "dropped"},
		{Name: "discard_token", Secret: true},
	},
	Limits: deliver.Limits{DefaultBytes: deliver.DefaultBatchBytes, DefaultEvents: deliver.DefaultBatchEvents},
	Configure: func(get intake.Getter, _ *deliver.Options) (intake.Opener, error) {
		if get("discard_note") == "refuse" {
			return nil, intake.Invalid("discard_note", "any note but the one word this intake declines")
		}
		return func(deliver.Options) (intake.Shipper, error) { return &Shipper{}, nil }, nil
	},
}

// Shipper drops what it is given and counts it as delivered.
type Shipper struct {
	delivered atomic.Uint64
	closed    atomic.Bool
}

// Deliver counts the documents.
func (s *Shipper) Deliver(_ context.Context, docs *deliver.Docs) deliver.Result {
	s.delivered.Add(uint64(docs.Len()))
	return deliver.Delivered
}

// Stats reports the documents counted.
func (s *Shipper) Stats() deliver.Stats { return deliver.Stats{Delivered: s.delivered.Load()} }

// Close marks the shipper closed.
func (s *Shipper) Close() error { s.closed.Store(true); return nil }

// Closed reports whether Close was called.
func (s *Shipper) Closed() bool { return s.closed.Load() }
