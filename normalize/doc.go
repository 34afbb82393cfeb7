// Package normalize turns Kubernetes API-server audit records into documents
// for a SIEM: ECS documents (format ecs) or the compact original event
// (format raw).
//
// # Inputs
//
// Normalize takes one record: the raw bytes of an audit log line or a webhook
// body. Accepted shapes (see split.go):
//
//   - one audit.k8s.io Event, v1 or v1beta1 (v1beta1's legacy "timestamp" and
//     optional "stage" included);
//   - an EventList: each item becomes its own document;
//   - a JSON array of any accepted shape;
//   - {"records":[…]} (Azure diagnostic export);
//   - the AKS envelope {"category":…,"properties":{"log":…}}, log being the
//     event as a JSON string or as an object.
//
// An object is taken for an audit event when its kind, if present, is "Event"
// and it has a non-empty auditID, or a verb and a requestURI, or an
// audit.k8s.io apiVersion. Missing timestamps, stages, users or objectRefs
// never drop an event. Anything else (not JSON, JSON that is not an event, a
// list item that is not an event) becomes one document with event.kind
// "pipeline_error", error.message saying why and event.original holding the
// text, bounded to Options.MaxOriginalBytes on a UTF-8 boundary
// (labels.truncated: true when cut). Its @timestamp is the record time, or is
// left out when that is 0, so that output never depends on the clock. The
// other items of the record are unaffected.
//
// # Ownership and cost
//
// The returned []Doc and every slice in it belong to the Normalizer and are
// valid until the next Normalize call: copy what must outlive it. A
// Normalizer is not safe for concurrent use. After warm-up (buffers grown to
// the largest record seen) Normalize makes zero allocations per valid event
// in both formats; a test holds that. The pipeline_error path may allocate
// (fastjson builds its parse error with fmt).
//
// # Output
//
// Every document is one compact JSON object, valid UTF-8 (invalid bytes
// become U+FFFD), with keys in a fixed order so that output is a pure function
// of input and options. Empty values (empty strings, empty objects or arrays,
// nulls) are left out. An ECS document has, in this order:
//
//	@timestamp        stageTimestamp ?? requestReceivedTimestamp ?? timestamp ?? record time,
//	                  RFC 3339 UTC with 9 fractional digits
//	event             kind "event", module "kubernetes", dataset "kubernetes.audit_logs",
//	                  id and code (auditID), action (verb), category (["api"] plus "iam"
//	                  for RBAC, service account, CSR, token and access reviews), type
//	                  (creation/deletion/change/access/info from the verb, plus
//	                  allowed/denied from the authorization decision), outcome, start,
//	                  end, duration (ns, when >= 0), reason (authorization reason),
//	                  original (with Options.EventOriginal)
//	user              name, id, roles (username, uid, groups of the caller),
//	                  effective.{name,id,roles} (impersonatedUser)
//	source            ip, address: the first syntactically valid entry of sourceIPs
//	related           ip (every valid source IP), user (names and uids of both users)
//	user_agent        original, name, version, os.name ("<name>/<ver> (<os>/<arch>) …")
//	url               original (requestURI), path (before '?'), query (after it)
//	http              request.method (derived from the verb: the event does not record
//	                  the real method), response.status_code
//	error             code, message (responseStatus.reason, .message) when outcome is failure
//	orchestrator      type "kubernetes", cluster.name (Options.ClusterName), namespace,
//	                  resource.{type, subtype ("<resource>/<subresource>"), name
//	                  (objectRef.name ?? responseObject/requestObject metadata.name), id},
//	                  api_version ("<apiGroup>/<apiVersion>", or apiVersion for core)
//	container         image.name: the images of a pod spec in requestObject (array)
//	kubernetes.audit  kind, apiVersion, level, auditID, stage, requestURI, verb, user,
//	                  impersonatedUser, sourceIPs, userAgent, objectRef, responseStatus,
//	                  requestObject, responseObject, requestReceivedTimestamp,
//	                  stageTimestamp, timestamp, annotations (see fields_audit.go)
//	labels            truncated: a body over MaxBodyBytes was left out
//
// event.outcome: a status code >= 400 is failure, 100..399 success; without a
// code, a "forbid" decision is failure, "allow" is success except at stage
// RequestReceived; otherwise unknown.
//
// # Deliberate differences from peers
//
//   - Sekoia copies the authorization decision into event.outcome; here the
//     outcome follows the response code (an allowed request can still 404 or
//     500), and the decision goes to event.type (allowed/denied).
//   - Sekoia puts the impersonated user in user.name; here user.name is always
//     the authenticated caller and the impersonated one is user.effective.
//   - Sekoia keeps the query string in url.path; here it is split into url.query.
//   - Elastic sets @timestamp at read time and source.ip to the whole list;
//     here @timestamp is the event's own time and source.ip one valid address
//     (an entry such as 99.999.999.999 is skipped, not indexed).
//   - Elastic's orchestrator.api_version is the audit API version; here it is
//     the object's group/version.
//
// Format raw re-emits each event (each EventList item, each envelope payload)
// as compact JSON with the same escaping guarantees; numbers that fastjson
// accepts but JSON does not (NaN, Inf) are written as strings. Doc.AuditID,
// Stage and Time are filled as in format ecs.
package normalize
