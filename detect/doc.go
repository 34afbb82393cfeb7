// Package detect tags Kubernetes audit events with detections at the
// edge: the catalogue of the README's "Detections" section (ids K8S-001…
// K8S-050 and the stateful K8S-S01, K8S-S03), each with an ATT&CK mapping,
// evaluated on what the normalizer has already extracted of an event.
//
// # Contract
//
// A caller fills a Fields per event (the event's members, unescaped, and
// its bodies as compact JSON text) and calls Engine.Evaluate, which fills a
// Matches: the rules the event matched, each with its severity. Evaluate
// makes no allocation once a Fields' buffers have grown; an Engine is
// safe for concurrent use, a Fields and a Matches belong to one goroutine.
//
// Cost: rules are grouped by the resource they can match (a bitmask per
// resource class, and the enabled set compiled into it by New), so an
// event pays for the few rules its resource allows. Body facts
// (privileged, host namespaces, hostPath paths, capabilities, images,
// roleRef, subjects, rule wildcards and sensitive grants, service type,
// ConfigMap credentials) are computed only when an enabled rule needs them
// and the event's resource and verb make them possible, by one walk of a
// body parsed with the Fields' reused fastjson parser, and not even parsed
// when its text holds none of the words the facts need (body.go). For a
// patch or update the resulting object (responseObject) is judged when
// present; a JSON patch is read by its operations' paths and values.
//
// Stages: an event is judged at ResponseComplete (or without a stage, a
// v1beta1 event), at ResponseStarted only for exec, attach and
// portforward and for a 401 (its only stage); never at RequestReceived.
// An auditID that alerted does not alert again (state.go: a fixed memory
// of the last 4096).
//
// Allowlists (Options): trusted identities (the control planes' own by
// default, DefaultTrustedUsers) never raise the rules that judge the
// actor; the pod-spec rules judge the object instead (a privileged pod
// made by the ReplicaSet controller is still a privileged pod) and honour
// the image allowlist (DefaultTrustedImages); an allowlisted namespace
// raises nothing.
//
// Stateful rules (state.go) keep fixed-size tables (about 450 KiB per
// Engine), windows configurable: K8S-S01, five distinct denied targets by
// one identity within 10 minutes; K8S-S03, three distinct secrets read by
// one (user, source IP, user agent) within 5 minutes.
//
// Nothing an event holds is written by a match: the output (rule, threat,
// tags) is the catalogue's constant text, so a detection cannot leak a
// value of the event.
package detect
