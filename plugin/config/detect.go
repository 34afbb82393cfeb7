package config

import (
	"strings"
	"time"

	"github.com/k8saudit/k8saudit/detect"
)

// Detection is the validated detection setting of an instance.
type Detection struct {
	On         bool           // detect: judge every event (on by default)
	AlertsOnly bool           // detect_alerts_only: ship only the events that matched
	Options    detect.Options // rules, allowlists and windows, for detect.New
}

// parseDetect reads the detect_* keys. Their values are names of users, namespaces,
// images and rules, not credentials, but errors still name the key, not the value.
func parseDetect(get func(string) string, c *Config) error {
	d := &c.Detection
	d.On = true
	var err error
	if v := get("detect"); v != "" {
		if d.On, err = parseBool("detect", v); err != nil {
			return err
		}
	}
	if v := get("detect_alerts_only"); v != "" {
		if d.AlertsOnly, err = parseBool("detect_alerts_only", v); err != nil {
			return err
		}
	}
	if d.Options.Rules, err = detect.ParseRules(get("detect_rules")); err != nil {
		return invalid("detect_rules", "rule ids (K8S-007), severities (+low, -info, >=medium) and core, all or none, separated by commas, each optionally prefixed by + or -")
	}
	lists := []struct {
		key   string
		to    *detect.Allowlist
		parse func(string) (detect.Allowlist, error)
		what  string
	}{
		{"detect_allow_users", &d.Options.Users, detect.ParseAllowlist, "user names separated by commas; a trailing * matches by prefix (system:node:*); a bare * is refused"},
		{"detect_allow_namespaces", &d.Options.Namespaces, detect.ParseAllowlist, "namespaces separated by commas; a trailing * matches by prefix; a bare * is refused"},
		{"detect_allow_images", &d.Options.Images, detect.ParseAllowlist, "image repositories separated by commas; a trailing * matches by prefix (registry.example.com/*); a bare * is refused"},
		{"detect_known_users", &d.Options.KnownUsers, detect.ParseAllowlist, "user names separated by commas; a trailing * matches by prefix; a bare * is refused"},
	}
	for _, l := range lists {
		if *l.to, err = l.parse(get(l.key)); err != nil {
			return invalid(l.key, l.what)
		}
	}
	sas, err := detect.ParseServiceAccounts(get("detect_allow_service_accounts"))
	if err != nil {
		return invalid("detect_allow_service_accounts", "service accounts as namespace:name or namespace:* separated by commas")
	}
	d.Options.Users = joinAllowlists(d.Options.Users, sas)
	if v := get("detect_allow_defaults"); v != "" {
		var on bool
		if on, err = parseBool("detect_allow_defaults", v); err != nil {
			return err
		}
		d.Options.NoDefaultAllow = !on
	}
	for _, w := range []struct {
		key string
		to  *time.Duration
	}{{"detect_denial_window", &d.Options.DenialWindow}, {"detect_secret_window", &d.Options.SecretWindow}} {
		if v := get(w.key); v != "" {
			if *w.to, err = parseDuration(w.key, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// joinAllowlists returns the entries of a and b as one list.
func joinAllowlists(a, b detect.Allowlist) detect.Allowlist {
	out, _ := detect.ParseAllowlist(strings.Join(append(a.Entries(), b.Entries()...), ","))
	return out
}

// detectString renders the detection setting for the startup line.
func (d *Detection) detectString(kv func(string, any)) {
	kv("detect", d.On)
	if !d.On {
		return
	}
	switch r := d.Options.Rules; r {
	case detect.DefaultRules():
		kv("detect_rules", "core")
	case detect.AllRules():
		kv("detect_rules", "all")
	default:
		kv("detect_rules", strings.Join(append([]string{"none"}, r.IDs()...), ","))
	}
	if d.AlertsOnly {
		kv("detect_alerts_only", true)
	}
	for _, l := range []struct {
		key string
		a   detect.Allowlist
	}{{"detect_allow_users", d.Options.Users}, {"detect_allow_namespaces", d.Options.Namespaces}, {"detect_allow_images", d.Options.Images}, {"detect_known_users", d.Options.KnownUsers}} {
		if !l.a.Empty() {
			kv(l.key, strings.Join(l.a.Entries(), ","))
		}
	}
	if d.Options.NoDefaultAllow {
		kv("detect_allow_defaults", false)
	}
	if d.Options.DenialWindow > 0 {
		kv("detect_denial_window", d.Options.DenialWindow)
	}
	if d.Options.SecretWindow > 0 {
		kv("detect_secret_window", d.Options.SecretWindow)
	}
}
