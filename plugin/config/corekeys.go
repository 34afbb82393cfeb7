package config

import "fmt"

// coreMisspellings maps misspellings of Fluent Bit's own [OUTPUT] keys to the key meant.
// Fluent Bit keeps its core keys (workers, retry_limit, storage.*, ...) and a Go plugin
// never sees them, so a correct one cannot be checked here; but a key Fluent Bit does not
// recognise is handed to the plugin as one of its own, silently, and `fluent-bit --dry-run`
// does not catch it (measured with v4.2.8: "configuration test is successful" with
// `worker 1` and `retry_limits no_limits`; only a built-in output refuses an unknown key,
// at a real start). A typo such as `worker 1`
// leaves the flushes on the engine thread and `retry_limits no_limits` leaves Fluent Bit's
// default of one retry, which drops chunks in an outage: worth a warning.
var coreMisspellings = []struct{ typo, key string }{
	{"worker", "workers"},
	{"retry_limits", "retry_limit"},
	{"retry-limit", "retry_limit"},
	{"retrylimit", "retry_limit"},
	{"retry_limit_count", "retry_limit"},
	{"storage.total_limit", "storage.total_limit_size"},
	{"storage.total-limit-size", "storage.total_limit_size"},
	{"storage.total_limit_sizes", "storage.total_limit_size"},
	{"storage_total_limit_size", "storage.total_limit_size"},
	{"log-level", "log_level"},
	{"loglevel", "log_level"},
	{"match-regex", "match_regex"},
	{"matchregex", "match_regex"},
}

// coreWarnings warns about each misspelled core key that is set.
func coreWarnings(g Getter) []string {
	var out []string
	for _, m := range coreMisspellings {
		if g.Get(m.typo) != "" {
			out = append(out, fmt.Sprintf("key %q is not known to Fluent Bit or k8saudit and is ignored: did you mean Fluent Bit's %q?", m.typo, m.key))
		}
	}
	return out
}
