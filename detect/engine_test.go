package detect

import (
	"strings"
	"testing"
	"time"
)

// TestCatalogue: 32 core single-event rules (the note's default-on set),
// the stateful S01 and S03 on by default, every string writable into JSON
// as is (the writers copy them unescaped).
func TestCatalogue(t *testing.T) {
	core := 0
	for _, r := range Rules() {
		if r.Core && r.match != nil {
			core++
		}
		for _, s := range append([]string{r.ID, r.Name, r.Reference, r.Level, r.Severity.String()}, r.Tags...) {
			if strings.ContainsAny(s, "\"\\\x00\n") || s == "" {
				t.Errorf("%s: %q", r.ID, s)
			}
		}
		if len(r.Tactics) == 0 || len(r.Techniques) == 0 {
			t.Errorf("%s: no ATT&CK mapping", r.ID)
		}
	}
	if core != 32 {
		t.Errorf("%d core single-event rules, want 32", core)
	}
	d := DefaultRules()
	if !d.HasID("K8S-S01") || !d.HasID("K8S-S03") || d.HasID("K8S-007") || !d.HasID("K8S-047") {
		t.Errorf("default set %v", d.IDs())
	}
}

func TestParseRules(t *testing.T) {
	for spec, want := range map[string]func(RuleSet) bool{
		"":                       func(s RuleSet) bool { return s == DefaultRules() },
		"none,K8S-001,k8s-010":   func(s RuleSet) bool { return strings.Join(s.IDs(), ",") == "K8S-001,K8S-010" },
		"+K8S-007 -K8S-013":      func(s RuleSet) bool { return s.HasID("K8S-007") && !s.HasID("K8S-013") && s.HasID("K8S-010") },
		"all,>=high":             func(s RuleSet) bool { return s.HasID("K8S-022") && s.HasID("K8S-010") && !s.HasID("K8S-001") },
		"-low,-info":             func(s RuleSet) bool { return !s.HasID("K8S-042") && s.HasID("K8S-001") },
		"all -medium +K8S-S01 ,": func(s RuleSet) bool { return s.HasID("K8S-S01") && !s.HasID("K8S-001") && s.HasID("K8S-046") },
		"none":                   func(s RuleSet) bool { return s.Empty() },
	} {
		s, err := ParseRules(spec)
		if err != nil || !want(s) {
			t.Errorf("%q: %v %v", spec, s.IDs(), err)
		}
	}
	for _, bad := range []string{"K8S-999", ">=severe", "+", "exec"} {
		if _, err := ParseRules(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	// An explicitly empty set stays empty in an engine.
	none, _ := ParseRules("none")
	if got := ids(t, New(Options{Rules: none}), base(t, "create_nginx_pod_privileged.json").json(t)); len(got) != 0 {
		t.Errorf("none fired %v", got)
	}
}

func TestAllowlists(t *testing.T) {
	if _, err := ParseAllowlist("alice, *"); err == nil {
		t.Error("* accepted")
	}
	if _, err := ParseServiceAccounts("justname"); err == nil {
		t.Error("service account without namespace accepted")
	}
	users, _ := ParseAllowlist("alice ci-*")
	sas, _ := ParseServiceAccounts("tools:deployer,system:serviceaccount:ops:*")
	users.merge(sas)
	nss, _ := ParseAllowlist("sandbox")
	e := New(Options{Users: users, Namespaces: nss})
	exec := base(t, "exec_pod.json")
	for who, want := range map[string]bool{"alice": false, "ci-bot": false, "system:serviceaccount:tools:deployer": false,
		"system:serviceaccount:ops:x": false, "bob": true, "system:serviceaccount:tools:other": true, "system:node:n1": false, "eks:addon": false} {
		if got := has(ids(t, e, exec.set("user", user(who)).set("auditID", "a-"+who).json(t)), "K8S-001"); got != want {
			t.Errorf("exec by %s: fired %v, want %v", who, got, want)
		}
	}
	if got := ids(t, e, base(t, "exec_pod.json").set("objectRef.namespace", "sandbox").json(t)); len(got) != 0 {
		t.Errorf("allowlisted namespace fired %v", got)
	}
	// The defaults can be left out: then a node's exec alerts.
	if got := ids(t, New(Options{NoDefaultAllow: true}), base(t, "exec_pod.json").set("user", user("system:node:n1")).json(t)); !has(got, "K8S-001") {
		t.Errorf("without defaults: %v", got)
	}
	// Images: a privileged pod whose every image is allowlisted is quiet.
	imgs, _ := ParseAllowlist("nginx")
	if got := ids(t, New(Options{Images: imgs}), base(t, "create_nginx_pod_privileged.json").json(t)); has(got, "K8S-010") {
		t.Errorf("allowlisted image fired %v", got)
	}
}

// TestStages: RequestReceived and the ResponseStarted of a watch are not
// judged; a 401's ResponseStarted is; the two stages of one exec alert once.
func TestStages(t *testing.T) {
	e := New(Options{Rules: AllRules()})
	if got := ids(t, e, base(t, "exec_pod.json").set("stage", "RequestReceived").set("auditID", "s1").json(t)); len(got) != 0 {
		t.Errorf("RequestReceived: %v", got)
	}
	anon := base(t, "anonymous_creates_namespace_foo.json").set("auditID", "s2")
	if got := ids(t, e, anon.set("stage", "ResponseStarted").json(t)); len(got) != 0 {
		t.Errorf("ResponseStarted of a create: %v", got)
	}
	denied := metaEvent(t, "list", "secrets", "", "", "", "", 401, "").set("stage", "ResponseStarted").set("auditID", "s3")
	if got := ids(t, e, denied.json(t)); !has(got, "K8S-046") {
		t.Errorf("401 at ResponseStarted: %v", got)
	}
	ex := base(t, "exec_pod.json").set("auditID", "s4")
	if got := ids(t, e, ex.json(t)); !has(got, "K8S-001") {
		t.Errorf("exec ResponseStarted: %v", got)
	}
	if got := ids(t, e, ex.set("stage", "ResponseComplete").json(t)); len(got) != 0 {
		t.Errorf("exec ResponseComplete alerted again: %v", got)
	}
}

// TestWorkloads: pod specs in workloads, CronJobs, ephemeral containers
// and patches (judged on the resulting object; a JSON patch on its values).
func TestWorkloads(t *testing.T) {
	priv := map[string]any{"containers": []any{map[string]any{"name": "x", "image": "busybox",
		"securityContext": map[string]any{"privileged": true}}}}
	dep := base(t, "create_deployment.json").set("requestObject.spec.template.spec", priv)
	if got := ids(t, New(Options{}), dep.json(t)); !has(got, "K8S-010") {
		t.Errorf("privileged deployment: %v", got)
	}
	cj := base(t, "create_deployment.json").set("objectRef.resource", "cronjobs").set("objectRef.apiGroup", "batch").
		set("requestObject", map[string]any{"kind": "CronJob", "spec": map[string]any{"jobTemplate": map[string]any{
			"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"hostPID": true, "containers": priv["containers"]}}}}}})
	if got := ids(t, New(Options{}), cj.json(t)); !has(got, "K8S-010") || !has(got, "K8S-011") {
		t.Errorf("cronjob: %v", got)
	}
	// A patch: the request only relabels, the resulting object is privileged.
	patch := base(t, "create_deployment.json").set("verb", "patch").set("responseStatus.code", 200.0).
		set("requestObject", map[string]any{"metadata": map[string]any{"labels": map[string]any{"a": "b"}}}).
		set("responseObject", map[string]any{"kind": "Deployment", "spec": map[string]any{"template": map[string]any{"spec": priv}}})
	if got := ids(t, New(Options{}), patch.json(t)); !has(got, "K8S-010") {
		t.Errorf("patch, resulting object: %v", got)
	}
	// A JSON patch without a response body.
	jp := base(t, "create_deployment.json").set("verb", "patch").set("responseStatus.code", 200.0).set("responseObject", nil).
		set("requestObject", []any{map[string]any{"op": "add", "path": "/spec/template/spec/hostNetwork", "value": true},
			map[string]any{"op": "add", "path": "/spec/template/spec/containers/0/securityContext/capabilities/add/-", "value": "SYS_PTRACE"}})
	if got := ids(t, New(Options{}), jp.json(t)); !has(got, "K8S-013") || !has(got, "K8S-016") {
		t.Errorf("JSON patch: %v", got)
	}
	// An escaped key is a key: the shortcut that skips bodies without the
	// words must not skip it.
	esc := strings.Replace(base(t, "create_nginx_pod_privileged.json").json(t), `"privileged"`, `"privil\u0065ged"`, -1)
	if got := ids(t, New(Options{}), esc); !has(got, "K8S-010") {
		t.Errorf("escaped key: %v", got)
	}
}

// TestStateful: S01 fires once at the fifth distinct denied target of one
// identity within its window, not for repeats of one target nor across a
// window; S03 at the third distinct secret read.
func TestStateful(t *testing.T) {
	at := func(m ev, d time.Duration) ev {
		return m.set("stageTimestamp", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(d).Format(time.RFC3339Nano))
	}
	e := New(Options{DenialWindow: time.Minute})
	res := []string{"secrets", "pods", "nodes", "configmaps", "roles", "services"}
	fired := 0
	for i, r := range res {
		m := at(metaEvent(t, "list", r, "", "default", "", "", 403, "mallory").set("auditID", "d"+r), time.Duration(i)*time.Second)
		if got := ids(t, e, m.json(t)); has(got, "K8S-S01") {
			fired++
			if i != 4 {
				t.Errorf("S01 fired at denial %d", i+1)
			}
		}
	}
	if fired != 1 {
		t.Errorf("S01 fired %d times", fired)
	}
	e = New(Options{DenialWindow: time.Minute})
	for i := 0; i < 8; i++ {
		m := at(metaEvent(t, "list", "secrets", "", "default", "", "", 403, "eve").set("auditID", "r"+string(rune('a'+i))), time.Duration(i)*time.Second)
		if has(ids(t, e, m.json(t)), "K8S-S01") {
			t.Errorf("S01 on one target repeated")
		}
	}
	e = New(Options{DenialWindow: time.Minute})
	for i, r := range res[:5] {
		m := at(metaEvent(t, "list", r, "", "default", "", "", 403, "slow").set("auditID", "w"+r), time.Duration(i)*40*time.Second)
		if has(ids(t, e, m.json(t)), "K8S-S01") {
			t.Errorf("S01 across windows")
		}
	}

	e = New(Options{})
	for i, name := range []string{"db", "db", "api-key", "tls"} {
		m := at(metaEvent(t, "get", "secrets", "", "shop", name, "", 200, "harvester").set("auditID", "g"+string(rune('a'+i))), time.Duration(i)*time.Second)
		got := has(ids(t, e, m.json(t)), "K8S-S03")
		if got != (i == 3) {
			t.Errorf("S03 at read %d (%s): %v", i+1, name, got)
		}
	}
}

// TestReplayJudgedAlike: an event seen again (Fluent Bit flushing a chunk again after a
// retry) gets the matches it got the first time, single-event and stateful rules alike, so
// that its document is the same bytes and the delivery's dedup recognizes it; the next
// stage of the same request is still suppressed, and a repeat by another event is not a
// replay.
func TestReplayJudgedAlike(t *testing.T) {
	e := New(Options{})
	ex := base(t, "exec_pod.json").set("auditID", "x1")
	first := ids(t, e, ex.json(t))
	if !has(first, "K8S-001") {
		t.Fatalf("exec: %v", first)
	}
	if again := ids(t, e, ex.json(t)); strings.Join(again, ",") != strings.Join(first, ",") {
		t.Errorf("replayed exec: %v, first %v", again, first)
	}
	if got := ids(t, e, ex.set("stage", "ResponseComplete").json(t)); len(got) != 0 {
		t.Errorf("the exec's next stage alerted: %v", got)
	}

	at := func(m ev, d time.Duration) ev {
		return m.set("stageTimestamp", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(d).Format(time.RFC3339Nano))
	}
	e = New(Options{})
	var fifth ev
	for i, r := range []string{"secrets", "pods", "nodes", "configmaps", "roles"} {
		fifth = at(metaEvent(t, "list", r, "", "default", "", "", 403, "mallory").set("auditID", "d"+r), time.Duration(i)*time.Second)
		ids(t, e, fifth.json(t))
	}
	if got := ids(t, e, fifth.json(t)); !has(got, "K8S-S01") {
		t.Errorf("the S01 event replayed: %v", got)
	}
	if got := ids(t, e, fifth.set("auditID", "other").json(t)); has(got, "K8S-S01") {
		t.Errorf("another event on the same target fired S01 again: %v", got)
	}
}
