// Package redact is the redaction room of the normalizer: what is secret in an
// audit event, decided on bytes, with no state of its own beyond a compiled
// path set. Package normalize applies it: its body scanner replaces values as it
// copies a body, and it writes the event's requestURI through URI.
//
//   - Paths (paths.go): the user's dotted body paths and the built-in ones of
//     each class (a Secret's data, stringData and last-applied annotation, a
//     TokenRequest's status.token, a TokenReview's spec.token), compiled to one
//     bit each in a Set.
//   - Classes (class.go): whether an event is a Secret, TokenRequest or
//     TokenReview event, by any of three witnesses (objectRef, the request
//     path as the API server decodes it, a body's kind), so that one missing
//     or lying witness is not enough to let a token through.
//   - Credentials (cred.go): Authorization and Proxy-Authorization members,
//     and strings that start with the Bearer or Basic scheme, under any path.
//   - The request URI (uri.go): credential query and path parameters, their
//     names read as any decoder along the way could read them.
//
// Everything here reads attacker-written bytes: keys and strings are read as a
// JSON decoder reads them (escapes decoded), names as a URL decoder reads them
// (percent-decoding repeated), and nothing allocates once its scratch has grown.
// The functions are fuzzed (FuzzRedactURI here; the body scanner's fuzzer in
// package normalize) and the class shortcuts are held to the full reading of a
// path's structure.
package redact
