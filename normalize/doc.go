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
// and it has a non-empty auditID, or a verb and a requestURI, or kind "Event"
// and a verb (events trimmed by other pipelines, detection test sets), or an
// audit.k8s.io apiVersion. Missing timestamps, stages, users or objectRefs
// never drop an event.
//
// # The safe road
//
// No byte of a record leaves without the policy and redaction applied to
// it: what the parsers refuse (a truncated line, two events on one line, a
// byte-order mark, a stray byte, nesting past fastjson's MaxDepth of 300
// outside the bodies) takes the safe road (salvage.go), never its text to
// the intake, the dead letter or a log. A tolerant, bounded scan finds the
// record's JSON values: a complete one that is not the text refused goes
// back to the roads below (so {ev}{ev} is two events, and a line after a
// byte-order mark one), and one they refuse too is salvaged: the top-level
// members the mapping reads (auditID, stage, verb, requestURI, user,
// impersonatedUser, objectRef, sourceIPs, userAgent, responseStatus.code,
// the timestamps, level, the string annotations; bodies never) become an
// event that goes through the policy, redaction and the writers like any
// other, so that it is decided (dropped and counted by Dropped, or its
// level lowered), findable by every field a rule reads, and counted. Its
// document is an event (event.kind "event": it describes a request the API
// server served, and a rule that filters on event.kind must still see it),
// marked: labels.salvaged: true and error.message "salvaged from a record
// that could not be parsed: <why, with a byte offset>" in format ecs
// (Doc.Salvaged), and in format raw the compact event from the salvaged
// members with the annotation SalvagedAnnotation saying why. The scan reads
// a string only when it ends (a token cut in the middle is not read), stops
// at the first byte out of place (after which a value could be read as a
// key), and takes the value the general road takes when a member is given
// twice (the last at the top level, the first of a name inside user,
// objectRef and responseStatus, keys compared unescaped; TestSalvageAgrees).
// An EventList, array or {"records":[…]} the parsers refuse is taken item by
// item: a bad item (too deep, truncated, not an event) takes the safe road
// alone and the others are normalized as usual, nested lists included.
//
// What holds no event (not JSON, JSON that is not an event, a list item
// that is not an event, a salvage that found none of the members above)
// becomes one document with event.kind "pipeline_error",
// error.message saying why (a fixed text with a byte offset at most: never a
// parser's message, which quotes the input), event.hash the SHA-256 of the
// text and labels.original_bytes its length: findable and correlatable with
// the line on the node, without its content. Options.KeepUnparsedText (off
// by default) puts the text back in event.original, bounded to
// Options.MaxOriginalBytes on a UTF-8 boundary (labels.truncated: true when
// cut), in a pipeline_error document and a salvaged event's ECS document;
// that text has been through no policy and no redaction. A pipeline_error's
// @timestamp is the record time, or is left out when that is 0, so that
// output never depends on the clock. The other items of the record are
// unaffected.
//
// # Ownership and cost
//
// The returned []Doc and every slice in it belong to the Normalizer and are
// valid until the next Normalize call: copy what must outlive it. A
// Normalizer is not safe for concurrent use. After warm-up (buffers grown to
// the largest record seen) Normalize makes zero allocations per valid event
// in both formats; a test holds that, and one more for an event whose body
// nests past the limit. The safe road may allocate (fastjson builds its
// parse error with fmt); nesting past the limit outside the bodies is caught
// before fastjson, whose error costs a formatted message per level.
//
// A record reaches its documents by one of three roads, which write the
// same bytes wherever more than one can take it:
//
//   - The direct road (direct.go, direct_event.go): a record that is one
//     audit event object, the tail input's every line, or an EventList as
//     the webhook backend sends it, is read in a single walk without
//     fastjson. Bodies (requestObject, responseObject: 80% of a
//     RequestResponse log's bytes) go through the body scanner (scan.go),
//     which validates and copies each one, sanitized, and a body it leaves
//     unchanged is not copied at all; below a body's second level, a
//     container with nothing to drop or sanitize is only checked, without
//     the scanner's stack (scan_plain.go). The rest is read in place: the
//     members the mapping reads are noted as spans, and in format ecs the
//     object members kubernetes.audit copies are kept as spans of the record
//     with a few edits (empty members cut, dots made '_' in annotation keys;
//     direct_clean.go), so that writing them is a memmove; only what must be
//     rewritten (a string escaped otherwise than the writer escapes) is
//     copied. Strings are skipped 16 or 64 bytes at a time by SSE2 assembly
//     that passes the two-byte escapes itself (internal/jsonskip's
//     special_amd64.s; pure Go elsewhere). Tests and fuzz targets
//     (direct_test.go, scan_test.go) hold it byte for byte to the roads
//     below and each shortcut to the way it takes.
//   - The stripped road (strip.go): any other record (an envelope, a
//     record the direct road refuses) has its bodies replaced
//     by markers and scanned in the same pass; fastjson parses the small
//     rest (event.go extracts the event from its tree).
//   - The old road: a body that is not strict JSON sends its record through
//     a full fastjson parse with bodies rendered from the tree; its
//     documents mean the same.
//   - The safe road (above): what fastjson refuses too.
//
// One input shape, one road: an event object or an EventList takes the
// direct road, and the stripped road only when the direct road refuses it
// (a member given twice, a form it does not copy exactly); envelopes take
// the stripped road. The direct road is kept as a second road for the most
// common shape because it earns its cost: BenchmarkRoads (roads_bench_test.go,
// go test -run '^$' -bench Roads ./normalize) normalizes the fixture lines by
// each, and the direct road takes 0.60 of the stripped road's time in format
// ecs and 0.52 in format raw (577 against 955 µs, 418 against 800 µs, 2 cores,
// 2026-12-06). Every road classifies a top-level key by one table, topMember
// (event_members.go), and writes strings with the one escaper every package
// shares (internal/jsonw).
//
// On every road the event (event.go) is complete before anything is
// written: a per-event hook (policy, redaction; hook.go) runs between
// reading it and the writers (Normalizer.emit); bodies are then known by
// their text (body.raw, bodyText) and parsed only on demand (bodies.go).
//
// # Rooms
//
// The package is the Normalizer, which composes these parts; each has its
// own files or package and reaches the others only through the Normalizer:
//
//   - byte-level JSON: internal/jsonskip (where a string, number or value
//     ends; the string assembly) and internal/jsonw (the one escaper and
//     unescaper), both shared with the plugin's packages;
//   - the event model: event_members.go (the one member table) and event.go
//     (what was found in one event), filled by the roads above (direct*.go,
//     strip.go and split.go, salvage.go) and the body scanner (scan.go,
//     scan_plain.go, bodies.go);
//   - the per-event hook (hook.go): the policy (package normalize/policy),
//     then redaction (redact.go and redact_event.go apply
//     normalize/internal/redact: paths, classes, credentials, the URI);
//   - the detections (ecs_detect.go applies package detect);
//   - the writers, chosen in Normalizer.emit: format ecs (ecs.go,
//     fields_audit.go, fields_container.go, ip.go, useragent.go), format raw
//     (appendEvent in hook.go when a policy or redaction is on, renderDirect in
//     direct_event.go on the direct road, appendValue in fields_audit.go
//     otherwise), the pipeline_error document (pipeline_error.go), all through
//     normalize/internal/docwriter (the document writer) and
//     normalize/internal/timestamp.
//
// Tests reach the slower roads from outside (roads_test.go): nothing in the
// Normalizer is a test switch. Two steps inside a walk keep a reference way a
// test compares them with, set only by tests: the scanner's noPlain (every
// container through the stack) and the direct walk's copyEvery (no copy kept
// as its own text).
//
// # Limits
//
// Options.MaxEventBytes (default 1 MiB; the plugin's max_event_bytes) bounds
// an ECS document: one that would be larger loses responseObject, then
// requestObject, then the end of event.original, until it fits, and gets
// labels.truncated: true; every other field is kept. A body whose text alone
// exceeds the bound is never copied in full (the scanner stops writing it
// and goes on only validating), so a 10 MB body costs the bound, not 10 MB,
// in every buffer; only a record whose other fields alone exceed the bound
// (megabytes of URI or annotations) yields a larger document. In format
// raw, a body over the bound is left out of the event (raw has no place for
// a marker). Records taking the old road (invalid bodies) are bounded by
// their own size.
//
// A body nests at most 300 levels (fastjson's MaxDepth, counted from the
// body's root): a container deeper is checked but not copied, and is
// replaced by the string CutValue, with labels.truncated: true in format
// ecs; the event keeps every other field (TestOverDeepBody). A record that
// nests past the limit outside its bodies takes the safe road.
//
// # Policy and redaction
//
// With Options.Policy (an audit.k8s.io/v1 Policy, package policy), each
// event is evaluated between extract and the writers (hook.go): an event
// the policy drops (level None, or an omitted stage) yields no document and
// is counted by Dropped; otherwise requestObject is left out unless the
// effective level keeps it, responseObject likewise, and the level written
// (kubernetes.audit.level; level in format raw) is the effective one when
// the policy lowered it. The event's own level caps the result: the shipper
// only lowers. omitManagedFields: bodies in format ecs never carry
// metadata.managedFields anyway; in format raw the decision removes it.
//
// With Options.Redact (off in the zero value, so the golden files hold the
// plain mapping; the plugin's redact is on by default) values are replaced
// by RedactedValue, keys kept:
//
//   - Secret data and stringData values and the
//     kubectl.kubernetes.io/last-applied-configuration annotation (in a
//     SecretList's items, a Table's rows[].object, and every "value" of a
//     JSON patch), status.token of a TokenRequest, spec.token of a
//     TokenReview. An event is of those classes when any witness says so:
//     its objectRef (every one, if given twice), its request path
//     (percent-decoded: /api/v1/namespaces/x/secrets,
//     …/serviceaccounts/y/token, /apis/authentication.k8s.io/v1/tokenreviews)
//     or any top-level kind of either body (Secret, SecretList,
//     TokenRequest, TokenReview; escapes decoded, case folded), so that an
//     event without objectRef or with a misleading one is still redacted
//     (package redact, class.go).
//   - In every body of every event: the value of a member whose key is
//     Authorization or Proxy-Authorization (case folded), and a string
//     whose text starts, after any whitespace, with Bearer or Basic (case
//     folded) and whitespace (package redact, cred.go).
//   - In requestURI (url.original, url.path, url.query,
//     kubernetes.audit.requestURI, event.original, format raw alike): the
//     values of credential parameters, in the query, a fragment or a path
//     parameter (separators & ; / ? #). Names are compared percent-decoded
//     (repeatedly: acc%2565ss_token), '+' as a space, trimmed, case folded,
//     '-' as '_': key, sig, pwd, auth, jwt, and every name ending in token,
//     secret, password, passwd, apikey, _key, accesskey, secretkey,
//     privatekey, _sig or signature (access_token, id_token, refresh_token,
//     client_secret, api_key, X-Amz-Signature; the API's own parameters end
//     otherwise). The value runs to the next '&' (to the next '/', '?' or
//     '#' in the path) and is replaced whole, encoded or not; a parameter
//     that names a credential only once decoded (x=1%26token%3D…) is
//     replaced whole, its name included (package redact, uri.go).
//
// Options.RedactPaths are dotted paths from a body's root (arrays are
// crossed: items.data.x reaches every item; a key holding a dot writes it
// \. and a backslash \\: data.tls\.key), redacted in both bodies of every
// event whatever the value's type. Keys are compared as a JSON decoder
// reads them (escapes decoded), exactly otherwise. A metadata.name that is
// redacted is not written as orchestrator.resource.name either. A redacted
// ECS document has labels.redacted: true and a raw one the annotation
// RedactedAnnotation ("k8saudit.io/redacted": "true"); Doc.Redacted says so
// too. event.original is never the input text when the policy or redaction
// changed the event, nor, with redaction, when a member the mapping reads
// is given twice: it is then rendered from the event, redacted, without
// the bodies the policy left out. With the policy or redaction on, what is
// rendered from an event (format raw, event.original) leaves out every
// top-level member the Event does not define (eventMember in event_members.go): no
// redaction can know what it holds, and it may be a body or a requestURI
// under a damaged key. Not redacted: a body key out of its place
// (user.requestObject) in format raw gets only RedactPaths and the
// credentials rule; a key damaged inside a body ("string:Data") is missed
// by the paths, as redaction by path must miss it; and the text
// KeepUnparsedText ships. Redaction is done in the body scanner's copy
// (redact.go): zero allocations still hold, and an event that needs the
// built-in paths pays one more scan of its bodies.
//
// # Output
//
// Every document is one compact JSON object, valid UTF-8 (invalid bytes
// become U+FFFD; strings written by internal/jsonw's rule), with keys in a fixed order so that output is a pure function
// of input and options. Empty values (empty strings, empty objects or arrays,
// nulls) are left out. An ECS document has, in this order:
//
//	@timestamp        stageTimestamp ?? requestReceivedTimestamp ?? timestamp ?? record time,
//	                  RFC 3339 UTC with 9 fractional digits
//	event             kind "event", module "kubernetes", dataset "kubernetes.audit_logs",
//	                  id (auditID; no event.code: ECS's is a code for the kind of event,
//	                  which audit events have not), action (verb), category (["api"] plus
//	                  "iam" for RBAC, service account, CSR, token and access reviews), type
//	                  (creation/deletion/change/access/info from the verb, plus
//	                  allowed/denied from the authorization decision, or without one,
//	                  denied for a 401 or 403), outcome, start, end, duration (ns, when
//	                  >= 0), reason (authorization reason), original (with
//	                  Options.EventOriginal)
//	user              name, id, group.name (username, uid, groups of the caller),
//	                  effective.{name,id,group.name} (impersonatedUser)
//	source            ip, address: the first syntactically valid entry of sourceIPs
//	related           ip (every valid source IP), user (names and uids of both users)
//	user_agent        original, name, version, os.name ("<name>/<ver> (<os>/<arch>) …")
//	url               original (requestURI), path (before '?'), query (after it)
//	http              request.method (derived from the verb: the event does not record
//	                  the real method), response.status_code
//	error             code, message (responseStatus.reason, .message) when outcome is failure;
//	                  message: why, for a salvaged event
//	orchestrator      type "kubernetes", cluster.name (Options.ClusterName), namespace,
//	                  resource.{type, subtype ("<resource>/<subresource>"), name
//	                  (objectRef.name ?? responseObject/requestObject metadata.name), id},
//	                  api_version ("<apiGroup>/<apiVersion>", or apiVersion for core)
//	container         image.name: the images of the Pod a pod create makes (array); no other
//	                  request names a container that runs (fields_container.go)
//	kubernetes.audit  kind, apiVersion, level, auditID, stage, requestURI, verb, user,
//	                  impersonatedUser, sourceIPs, userAgent, objectRef, responseStatus,
//	                  requestObject, responseObject, requestReceivedTimestamp,
//	                  stageTimestamp, timestamp, annotations (see fields_audit.go)
//	k8saudit          images: every image a pod spec in requestObject names (a Pod, a
//	                  workload's template, a CronJob's, a patch), whatever the verb
//	labels            truncated: a body or the end of event.original was left out to keep
//	                  the document within MaxEventBytes, or a body nested too deeply was
//	                  cut; redacted: secret material was replaced (see Policy and
//	                  redaction); salvaged: read by the safe road (error.message says why)
//
// event.outcome: a status code >= 400 is failure, 100..399 success; without a
// code, a "forbid" decision is failure, "allow" is success except at stage
// RequestReceived; otherwise unknown.
//
// Bodies are copied exactly (empty values kept: an empty string in a patch
// means something), with metadata.managedFields left out at any depth,
// whitespace left out, escapes kept as written, raw control characters
// escaped and invalid UTF-8 made U+FFFD. The other members of
// kubernetes.audit leave out empty values.
//
// # Deliberate differences from peers
//
// peers_test.go compares every field of the Sekoia and Elastic expected
// documents in testdata/fixtures (at the repository root) with ours: equal
// where the meaning agrees, and where it does not, on purpose:
//
//	peer     their field                     ours                          why
//	Sekoia   event.outcome, action.outcome   event.type allowed/denied     they copy the authorization decision; an allowed
//	                                                                       request can still 404 or 500, so our
//	                                                                       event.outcome follows the response code
//	Sekoia   user.name, user.roles           user.effective.*              they name the impersonated user; ours is always
//	                                                                       the authenticated caller (their user.id is the
//	                                                                       caller's, as ours)
//	Sekoia   user.roles                      user.group.name               groups grant no right by themselves (ECS roles
//	                                                                       are rights); ECS has a field for groups
//	Sekoia   event.code (auditID)            event.id only                 ECS's event.code is a code for the kind of event
//	                                                                       (a Windows Event ID); a per-request id is event.id
//	Sekoia   url.path                        url.original                  they keep the query string; ours is in url.query
//	Sekoia   related.ip, related.user        a superset                    they keep the first IP and their user.name; ours
//	                                                                       every valid IP and both users' names and uids
//	Sekoia   user_agent.name, .device.name   not set                       their user-agent library ("Other" for every
//	                                                                       Kubernetes client); ours is the client's name
//	Sekoia   kubernetes.spec.*               kubernetes.audit.requestObject.spec.*
//	                                                                       they leave out empty values; bodies are exact here
//	Elastic  @timestamp                      not compared                  read time there; the event's own time here
//	Elastic  source.ip, client.ip (lists)    source.ip, related.ip         one valid address in source.ip (an entry such as
//	                                                                       99.999.999.999 would fail the whole document)
//	Elastic  orchestrator.api_version        kubernetes.audit.apiVersion   the audit API version there; the object's
//	                                                                       group/version here
//	Elastic  event.original (AKS envelope)   event.original                the whole line there; the event here
//	Elastic  kubernetes.audit.aks_metadata   not kept                      envelope fields; ours ships the event only
//	Elastic  GKE LogEntry (protoPayload)     pipeline_error                not an audit.k8s.io Event
//	Elastic  container.image.name            pod creates only              they copy requestObject.spec.containers' images
//	                                                                       for any verb (a pod update names no new
//	                                                                       container); every request's are k8saudit.images
//
// # Tests
//
// Golden files (testdata/golden, go test ./normalize -update) hold the
// output for every fixture file byte for byte; reference_test.go is a
// slow normalizer on encoding/json that the fast one must agree with on
// every fixture, the fuzz corpus and every fuzz input it can read
// (differential_test.go, FuzzNormalize); TestZeroAllocs holds the
// allocation promise; K8SAUDIT_BENCH=1 go test -run Ratio ./normalize
// prints normalize and fastjson parse-only throughput on the same bytes.
//
// Format raw re-emits each event (each EventList item, each envelope payload)
// as compact JSON with the same escaping guarantees; numbers that fastjson
// accepts but JSON does not (NaN, Inf) are written as strings. Doc.AuditID,
// Stage and Time are filled as in format ecs.
package normalize
