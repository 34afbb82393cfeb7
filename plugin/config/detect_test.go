package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/k8saudit/k8saudit/detect"
)

// The detect_* keys reach detect.Options: rules, allowlists (service accounts as their
// usernames), the defaults switch and the windows.
func TestDetectKeys(t *testing.T) {
	c, _, err := Parse(Map{
		"url": "https://h/p", "detect_rules": "none,K8S-001,+K8S-007", "detect_alerts_only": "on",
		"detect_allow_users": "alice, ci-*", "detect_allow_service_accounts": "argocd:argocd-server,flux-system:*",
		"detect_allow_namespaces": "sandbox", "detect_allow_images": "registry.example.com/*",
		"detect_allow_defaults": "off", "detect_known_users": "admin@example.com",
		"detect_denial_window": "2m", "detect_secret_window": "30s",
	})
	if err != nil {
		t.Fatal(err)
	}
	d := c.Detection
	if !d.On || !d.AlertsOnly {
		t.Errorf("On %v AlertsOnly %v, want both", d.On, d.AlertsOnly)
	}
	if got := strings.Join(d.Options.Rules.IDs(), ","); got != "K8S-001,K8S-007" {
		t.Errorf("rules %s", got)
	}
	wantUsers := "alice,system:serviceaccount:argocd:argocd-server,ci-*,system:serviceaccount:flux-system:*"
	if got := strings.Join(d.Options.Users.Entries(), ","); got != wantUsers {
		t.Errorf("users %s, want %s", got, wantUsers)
	}
	if got := strings.Join(d.Options.Namespaces.Entries(), ","); got != "sandbox" {
		t.Errorf("namespaces %s", got)
	}
	if got := strings.Join(d.Options.Images.Entries(), ","); got != "registry.example.com/*" {
		t.Errorf("images %s", got)
	}
	if got := strings.Join(d.Options.KnownUsers.Entries(), ","); got != "admin@example.com" {
		t.Errorf("known users %s", got)
	}
	if !d.Options.NoDefaultAllow || d.Options.DenialWindow != 2*time.Minute || d.Options.SecretWindow != 30*time.Second {
		t.Errorf("NoDefaultAllow %v windows %v %v", d.Options.NoDefaultAllow, d.Options.DenialWindow, d.Options.SecretWindow)
	}
	s := c.String()
	for _, want := range []string{"detect=true", "detect_rules=none,K8S-001,K8S-007", "detect_alerts_only=true", "detect_allow_defaults=false", "detect_denial_window=2m0s"} {
		if !strings.Contains(s, want) {
			t.Errorf("startup line lacks %s: %s", want, s)
		}
	}
}

// Off by choice, nothing else is read into the startup line; the default rule set prints
// as "core".
func TestDetectOffAndDefaults(t *testing.T) {
	c, _, err := Parse(Map{"url": "https://h/p", "detect": "off"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Detection.On || strings.Contains(c.String(), "detect_rules") {
		t.Errorf("detect off: %+v %s", c.Detection, c)
	}
	c, _, err = Parse(Map{"url": "https://h/p"})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Detection.On || c.Detection.Options.Rules != detect.DefaultRules() || !strings.Contains(c.String(), "detect_rules=core") {
		t.Errorf("defaults: %+v %s", c.Detection, c)
	}
}

// Every bad value is refused with the key named, and the value is not echoed.
func TestDetectBadValues(t *testing.T) {
	for key, bad := range map[string]string{
		"detect": "maybe", "detect_alerts_only": "2", "detect_rules": "K8S-999xyz",
		"detect_allow_users": "*", "detect_allow_namespaces": "*", "detect_allow_images": "*", "detect_known_users": "*",
		"detect_allow_service_accounts": "no-colon-xyz", "detect_allow_defaults": "perhaps",
		"detect_denial_window": "soon", "detect_secret_window": "-1s",
	} {
		_, _, err := Parse(Map{"url": "https://h/p", key: bad})
		var ce *Error
		if !errors.As(err, &ce) || ce.Key != key {
			t.Errorf("%s=%q: error %v, want a config error naming the key", key, bad, err)
			continue
		}
		if bad != "*" && strings.Contains(err.Error(), bad) {
			t.Errorf("%s: the error echoes the value: %v", key, err)
		}
	}
}

// keep_unparsed_text is off by default, parsed as a bool and shown when on.
func TestKeepUnparsedTextKey(t *testing.T) {
	c, _, err := Parse(Map{"url": "https://h/p"})
	if err != nil || c.KeepUnparsedText {
		t.Fatalf("default: %v %v", c.KeepUnparsedText, err)
	}
	c, _, err = Parse(Map{"url": "https://h/p", "keep_unparsed_text": "on"})
	if err != nil || !c.KeepUnparsedText || !strings.Contains(c.String(), "keep_unparsed_text=true") {
		t.Fatalf("on: %v %v", c, err)
	}
	if _, _, err := Parse(Map{"url": "https://h/p", "keep_unparsed_text": "sometimes"}); err == nil {
		t.Error("keep_unparsed_text=sometimes accepted")
	}
}
