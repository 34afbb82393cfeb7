// Package policy applies a Kubernetes audit Policy (audit.k8s.io/v1 Policy,
// the file given to kube-apiserver --audit-policy-file) to audit events at
// the shipper, to drop events and strip bodies before they are sent.
//
// # Contract
//
// Load (or Parse) reads and validates a policy once; the returned *Policy is
// read-only and safe for concurrent use. Evaluate takes the attributes of one
// event (byte slices aliasing the parsed event) and returns a Decision
// without allocating:
//
//   - Rules are tried in file order and the first match decides. No match
//     means level None.
//   - Decision.Level is the effective level, min(rule level, event level):
//     None drops the event; Metadata strips requestObject and
//     responseObject; Request strips responseObject; RequestResponse keeps
//     both. See Level.KeepsRequestBody and KeepsResponseBody.
//   - Decision.Drop is set for level None and for an event whose stage is in
//     the rule's omitStages united with the policy's.
//   - Decision.OmitManagedFields is the rule's omitManagedFields when the
//     rule sets it, else the policy's: remove metadata.managedFields from the
//     kept bodies (every item of a list; the API server never applies it to
//     a patch body, which is not an object).
//
// Matching is the API server's (k8s.io/apiserver/pkg/audit/policy): users
// and userGroups against the authenticated user, not impersonatedUser; '*'
// in users, userGroups, verbs and namespaces is a literal character; a
// resources entry without group is the core group, group "*" is every group;
// resource "*" matches every resource and subresource, "*/status" the status
// subresource of any resource, and "pods/*" matches pods with any
// subresource and plain pods too (the checker compares only the resource
// part; the Kubernetes documentation says "subresources"); namespaces [""]
// selects cluster-scoped requests; resourceNames compares objectRef.name;
// nonResourceURLs match only requests without objectRef, exactly or, with a
// trailing '*', by plain prefix ("/healthz*" matches "/healthzfoo").
//
// # Deliberate differences from Kubernetes
//
//   - Kubernetes decodes the file strictly and, on an unknown or misplaced
//     field (for example verbs indented under a resources entry), falls back
//     to a lenient decode that silently ignores it, logging a warning few
//     people read: the rule then matches more than its author meant. Here
//     such a file fails to load, with "<file>:<line>: <problem>" saying where
//     the field belongs. Duplicate keys, a second YAML document, numbers or
//     booleans where a string is expected, and YAML merge keys (<<, which
//     Kubernetes' reader expands) are refused too.
//   - apiVersion must be audit.k8s.io/v1; v1beta1 and v1alpha1 are refused
//     with a message, as by the API server since 1.24.
//   - The shipper can only remove what an event holds: the level an event
//     was logged at caps the result, and Decision.Level says so.
//   - What Kubernetes accepts but is almost certainly a mistake ('*' in
//     users or verbs, the resource "*/*" that matches nothing) loads, with a
//     line in Policy.Warnings for the caller to log.
//
// # Where the event cannot say what the API server saw
//
//   - For a create without subresource the API server evaluates with an
//     empty name (it is in the body); the event's objectRef.name is filled in
//     later from the response. Evaluate uses an empty name for such events
//     so that resourceNames rules give every stage of a request the same
//     level.
//   - A failed authentication logs "user":{}: both User and Groups empty
//     mean "no user", which rules with users or userGroups never match.
//   - nonResourceURLs are compared with requestURI up to '?', as logged
//     (percent-encoding included), where the API server uses the decoded
//     path; the two differ only for escaped characters.
package policy
