// Package jsonw is the one JSON string escaper of k8saudit: every package that writes a
// JSON string (normalize's ECS and raw writers, plugin/chunk's record renderer, the
// intakes' framings and the dead-letter file in plugin/deliver) writes it here, so a value
// leaves by every road escaped the same way.
//
// The rule, for the bytes of s written inside a JSON string:
//
//   - '"' and '\' become \" and \\;
//   - the control characters U+0000..U+001F become \n, \r, \t, or \u00XX for the others
//     (\b and \f too: \u0008, \u000c);
//   - a byte that does not start valid UTF-8 becomes \ufffd, one per byte (as
//     utf8.DecodeRune reads it), so that a single bad byte cannot make a whole batch
//     unparsable by a SIEM;
//   - U+2028 and U+2029 become \u2028 and \u2029: JavaScript-based consumers (and line
//     splitters such as Python's str.splitlines) take them for line ends;
//   - everything else, DEL and '/' included, is copied as it is.
//
// That is encoding/json's rule without its HTML escaping (<, >, &) and with \b, \f
// spelled \u0008, \u000c; the fuzz test holds it to encoding/json's decoder.
//
// What a writer copies from valid input JSON as it stands (normalize's raw format, the
// spans of an event its direct road passes through, event.original) is not escaped again:
// a raw U+2028 there stays raw, which JSON allows.
//
// Nothing here allocates except to grow the caller's buffer. Plain text (most of an audit
// event) is passed 16 bytes a round by NextSpecial, a SWAR search that normalize's
// scanners share.
package jsonw
