package config

import (
	"github.com/k8saudit/k8saudit/plugin/intake"
	_ "github.com/k8saudit/k8saudit/plugin/intake/all" // the built-in intakes
)

// common declares the keys every intake shares, in the order the README documents them.
// Default is the value Parse takes when the key is absent, parsed like a value the user
// wrote, so a default is defined here and nowhere else in the config layer; DefaultDoc
// names a default the layer below applies (the intake's limits, the normalizer's and the
// detection engine's own). Secret values never reach a log line or an error. The intakes'
// own keys are declared by each intake (plugin/intake/<name>).
var common = []intake.Key{
	{Name: "intake", Default: "ndjson"},
	{Name: "url", Synonyms: []string{"uri", "endpoint"}},
	{Name: "format", Default: "ecs"},
	{Name: "api_key", Secret: true, Synonyms: []string{"apikey", "http_api_key", "token", "splunk_token", "intake_key"}},
	{Name: "http_user"},
	{Name: "http_passwd", Secret: true, Synonyms: []string{"http_password"}},
	// Any header may be the credential (X-Api-Key, X-Auth-Token): values are secret.
	{Name: "headers", Secret: true, Synonyms: []string{"header"}},
	{Name: "compress", Default: "gzip", Synonyms: []string{"compression"}},
	{Name: "compress_level", Default: "1"},
	{Name: "batch_bytes", DefaultDoc: "per intake"},
	{Name: "batch_events", DefaultDoc: "per intake"},
	{Name: "timeout", Default: "30s"},
	{Name: "retry_budget", Default: "10s"},
	{Name: "tls_verify", Default: "on"},
	{Name: "tls_ca_file"},
	{Name: "tls_crt_file"},
	{Name: "tls_key_file"},
	{Name: "tls_server_name"},
	{Name: "source_key", Default: "log"},
	{Name: "cluster_name"},
	{Name: "dead_letter_file"},
	{Name: "dead_letter_max_bytes", Default: "100M"},
	{Name: "event_original", Default: "off"},
	{Name: "max_event_bytes", DefaultDoc: "1 MiB"},
	{Name: "policy_file"},
	{Name: "redact", Default: "on"},
	{Name: "redact_paths"},
	{Name: "keep_unparsed_text", Default: "off"},
	{Name: "metrics_listen"},
	{Name: "stats_interval", Default: "60s"},
	{Name: "detect", Default: "on"},
	{Name: "detect_rules", DefaultDoc: "`core`"},
	{Name: "detect_alerts_only", Default: "off"},
	{Name: "detect_allow_users"},
	{Name: "detect_allow_service_accounts"},
	{Name: "detect_allow_namespaces"},
	{Name: "detect_allow_images"},
	{Name: "detect_allow_defaults", Default: "on"},
	{Name: "detect_known_users"},
	{Name: "detect_denial_window", DefaultDoc: "`10m`"},
	{Name: "detect_secret_window", DefaultDoc: "`5m`"},
}

// Keys lists every key Parse reads, the common ones then each built-in intake's, in the
// order the README documents them.
var Keys = keyNames(declared())

// declared is every key declaration: the common table, then each registered intake's keys
// (an intake registered after init, as a test's, included).
func declared() []keyOf {
	out := make([]keyOf, 0, len(common)+16)
	for _, k := range common {
		out = append(out, keyOf{Key: k})
	}
	for _, in := range intake.All() {
		for _, k := range in.Keys {
			out = append(out, keyOf{Key: k, owner: in.Name})
		}
	}
	return out
}

// keyOf is a declaration with the intake that owns it ("" for a common key).
type keyOf struct {
	intake.Key
	owner string
}

func keyNames(ks []keyOf) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.Name
	}
	return out
}

// commonKey returns the declaration of a common key.
func commonKey(name string) intake.Key {
	for _, k := range common {
		if k.Name == name {
			return k
		}
	}
	panic("config: key " + name + " is not declared")
}
