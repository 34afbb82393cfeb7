// Package config turns the key/value properties of one Fluent Bit [OUTPUT] section into a
// typed, validated Config, once, at Init: the options of the layers below (deliver.Options,
// embedded; the normalizer's settings; the chosen intake's own keys), never copied again.
//
// Every key is declared once: the common ones in keys.go (name, default, secret,
// synonyms), each intake's in its package (plugin/intake/<name>). The accepted intakes,
// the defaults, the misspelling warnings, secret masking and the README check derive from
// those declarations. config imports deliver, intake and normalize; none imports config.
//
// Contract:
//   - Properties are read through Getter (Get(key) returns "" when the key is absent), so
//     tests feed a map and the plugin feeds Fluent Bit's property lookup. Fluent Bit matches
//     keys case-insensitively, keeps only the first of a repeated key and expands ${VAR}
//     before the plugin sees a value.
//   - Parse fails on any value that cannot work, with an error that names the key and
//     what is accepted, never the value (a url may hold a password, a header a token):
//     Fluent Bit then refuses to start, which is the only safe answer for an audit
//     pipeline misconfigured at deploy time. Credentials with control characters are such
//     values: every request would fail locally and the chunk be retried forever.
//   - Fluent Bit ignores unknown keys silently and gives a Go plugin no way to list them, so
//     Parse probes the likely misspellings of every key (dashes, missing underscores) and
//     returns a warning for each one it finds set. A misspelled core key (worker,
//     retry_limits) is unknown to Fluent Bit too, so it reaches the plugin and is probed
//     the same way (corekeys.go); `fluent-bit --dry-run` does not report it.
//   - Config.String renders the effective configuration for the log with every secret
//     shown as <redacted> (no character of it): the url without userinfo or query, header
//     values, api_key, http_passwd, a Sematext token index. Each warning is given once;
//     those the sender gives when it starts (tls_verify off, tls_* with http://,
//     credentials over plain http) are left to it.
//   - batch_bytes and batch_events default to the intake's declared limits
//     (intake.Intake.Limits); a value above the intake's hard maximum is an error that
//     names the limit and where it comes from. Intake keys (index, pipeline, dd_*,
//     splunk_*) are checked by the intake that declares them (its Configure) and warned
//     about when set for another intake.
//
// Keys that Fluent Bit keeps for itself (host, port, tls, tls.*, net.*, workers,
// retry_limit, match, alias, log_level, storage.*) never reach the plugin; that is why TLS
// settings here are named tls_verify, tls_ca_file and so on.
package config
