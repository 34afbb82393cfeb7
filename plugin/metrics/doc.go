// Package metrics is the plugin's Prometheus endpoint: one registry and one HTTP listener
// per Fluent Bit process, serving every [OUTPUT] instance of the plugin (docs/design.md,
// "Metrics"). It has no cgo and knows nothing of Fluent Bit.
//
// Contract:
//   - One Hub per process (Default). Each instance registers an Output under a name unique
//     in the hub (k8saudit.<n>, Fluent Bit's own name for the instance: the alias is never
//     handed to a Go plugin) and its intake; every series carries the labels output and
//     intake. Unregister removes the output's series.
//   - Counters cost nothing on the hot path: the instance and the sender already count in
//     atomics, once per flush or per request, and the hub reads them when scraped (Source).
//     What only exists per request (answers by class, latency, documents per request,
//     requests in flight) is fed by Output, the deliver.Observer of the sender: a few
//     atomic operations per request, none per event, no allocation.
//   - Listen starts the one listener (/metrics, /healthz, /readyz) the first time an
//     instance asks for it. Another instance asking for the same address shares it; one
//     asking for a different address gets ErrOtherAddress, which the instance logs as a
//     warning: the first address serves every output (a second listener would serve the
//     same series twice). A bind failure is an error: metrics_listen asked for probes
//     that would otherwise fail without saying why. The listener closes when the last
//     output unregisters.
//   - /healthz answers 200 while the process serves. /readyz answers 200 when every
//     output is ready: its intake accepted a request (2xx) within ReadyWindow, or nothing
//     is pending (no flush in progress, no chunk waiting for a retry); else 503 naming
//     the outputs that are not, and why.
//   - Nothing an audit event holds reaches a label: labels are the output's name, the
//     intake's kind, a status class and a detection rule id from the catalogue.
package metrics
