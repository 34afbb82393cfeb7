package deliver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A client chooses its Audit-ID header, so a later, different event can carry an earlier
// event's auditID (and stage). It must still be indexed: with _id = auditID-stage the
// intake answered 409 and the plugin took the second event as already delivered. The
// same event resent by a new Sender (a restart) keeps its _id and is answered 409.
func TestESReusedAuditIDCannotHideAnEvent(t *testing.T) {
	e := newESDouble(t)
	e.keyOf = func(int) string { return "chosen-by-the-client-ResponseComplete" }
	o := doubleOptions(t, "elasticsearch", e.URL)
	meta := Meta{AuditID: []byte("chosen-by-the-client"), Stage: []byte("ResponseComplete"), Time: 1773478800e9}
	first, second := new(Docs), new(Docs)
	first.Append(mkDocs(0, 1, 200).Doc(0), meta)
	second.Append(mkDocs(1, 1, 200).Doc(0), meta) // a different event, the same auditID and stage

	s := mustNew(t, o)
	deliverOK(t, s, first)
	deliverOK(t, s, second)
	if st := s.Stats(); st.Already != 0 || st.Delivered != 2 {
		t.Errorf("the second event was taken as already delivered: %s", st)
	}
	// A restart: a new Sender resends the first event; its _id is the same, so the intake
	// answers 409 and nothing is indexed twice.
	s2 := mustNew(t, o)
	deliverOK(t, s2, first)
	if st := s2.Stats(); st.Already != 1 {
		t.Errorf("the resent event got a new _id: %s", st)
	}
	expectOnce(t, e.double, o.DeadLetterFile, 0, 2, nil)
}

// Transport errors quote the request URL; the retry warning must not carry its userinfo
// or query.
func TestRetryWarningHidesURLSecrets(t *testing.T) {
	log := new(recLogger)
	o := testOptions("http://alice:s3cretpass@127.0.0.1:1/ingest?token=querytoken123", log)
	s := mustNew(t, o)
	if r := s.Deliver(context.Background(), mkDocs(0, 2, 100)); r != Retry {
		t.Fatalf("result %v, want retry", r)
	}
	if log.count("warn", "127.0.0.1:1/ingest") == 0 {
		t.Fatalf("no retry warning naming the intake: %v", log.lines)
	}
	all := strings.Join(log.lines, "\n")
	for _, secret := range []string{"s3cretpass", "querytoken123", "alice"} {
		if i := strings.Index(all, secret); i >= 0 {
			t.Errorf("the log leaks %q: …%s…", secret, all[max(0, i-80):min(len(all), i+40)])
		}
	}
}

// An intake (or a proxy) that echoes the request's headers in its answer must not put
// the credential in the logs or the dead-letter file.
func TestEchoedCredentialIsRedacted(t *testing.T) {
	const key = "k8s-audit-api-key-0123456789"
	echo := func(status int) func(int, request, http.ResponseWriter, *http.Request) int {
		return func(_ int, _ request, w http.ResponseWriter, r *http.Request) int {
			w.WriteHeader(status)
			fmt.Fprintf(w, "{\"error\":\"rejected\",\"headers\":{\"authorization\":%q},\"note\":\"key %s\"}\n\x1b[31mforged line\r\n",
				r.Header.Get("Authorization"), key)
			return 0
		}
	}
	for _, status := range []int{400, 401} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			in := newIntake(t, echo(status))
			log := new(recLogger)
			o := testOptions(in.URL, log)
			o.APIKey = key
			o.DeadLetterFile = filepath.Join(t.TempDir(), "dead.ndjson")
			s := mustNew(t, o)
			s.Deliver(context.Background(), mkDocs(0, 3, 100))
			raw, _ := os.ReadFile(o.DeadLetterFile)
			all := strings.Join(log.lines, "\n") + "\n" + string(raw)
			if strings.Contains(all, key) {
				t.Errorf("the credential reached the logs or the dead-letter file:\n%s", all)
			}
			if strings.Contains(all, "\x1b") || strings.Contains(all, "forged line\r") {
				t.Errorf("control characters from the answer reached the output:\n%q", all)
			}
			if status == 400 {
				dl := readDeadLetters(t, o.DeadLetterFile)
				if len(dl) != 3 {
					t.Fatalf("%d dead letters, want 3", len(dl))
				}
				reason, _ := dl[0]["reason"].(string)
				if !strings.Contains(reason, "400") || !strings.Contains(reason, Redacted) || len(reason) > maxReason+len("…") {
					t.Errorf("reason %q", reason)
				}
			}
		})
	}
}

func TestScrubberClean(t *testing.T) {
	sc := newScrubber(&Options{APIKey: "exact-secret-key", URL: "https://u:urlpass99@h/p?sig=abcdefgh", Headers: [][2]string{{"X-Token", "hdrvalue77"}}})
	cases := map[string]string{
		`Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig rest`: "Authorization: <redacted> rest",
		`{"authorization":"ApiKey dGVzdDp0ZXN0dGVzdA=="}`:             `{"authorization":"<redacted>"}`,
		`the key exact-secret-key is wrong`:                           "the key <redacted> is wrong",
		`pw urlpass99 sig abcdefgh hdr hdrvalue77`:                    "pw <redacted> sig <redacted> hdr <redacted>",
		`{"text":"Invalid token","code":4}`:                           `{"text":"Invalid token","code":4}`,
		`{"text":"Token is required","code":2}`:                       `{"text":"Token is required","code":2}`,
		"password=hunter2hunter2&x=1":                                 "password=<redacted>&x=1",
		"two\nlines\x00and\x1b[0mcolour":                              "two lines and [0mcolour",
		"mapper_parsing_exception: failed to parse field [user.name]": "mapper_parsing_exception: failed to parse field [user.name]",
	}
	for in, want := range cases {
		if got := sc.clean(in); got != want {
			t.Errorf("clean(%q)\n  = %q\nwant %q", in, got, want)
		}
	}
	if got := sc.clean(strings.Repeat("é", 400)); len(got) > maxReason+len("…") || !strings.HasSuffix(got, "…") {
		t.Errorf("not bounded: %d bytes", len(got))
	}
}

// Options errors name the key and the rule, never a value that may hold a credential.
func TestOptionErrorsDoNotEchoSecrets(t *testing.T) {
	cases := []struct {
		o      Options
		key    string
		secret string
	}{
		{Options{URL: "http://user:topsecretpw@host:port/x"}, "url", "topsecretpw"},
		{Options{URL: "ftp://user:topsecretpw@host/x"}, "url", "topsecretpw"},
		{Options{URL: "http://h/x", Headers: [][2]string{{"Bearer topsecretpw", "v"}}}, "headers", "topsecretpw"},
		{Options{URL: "http://h/x", APIKey: "topsecretpw\r\n"}, "api_key", "topsecretpw"},
		{Options{URL: "http://h/x", HTTPUser: "bob", HTTPPasswd: "topsecretpw\n"}, "http_passwd", "topsecretpw"},
		{Options{URL: "http://h/x", HTTPUser: "bob\x00"}, "http_user", "bob"},
		{Options{URL: "http://h/x", HTTPUser: "bob:topsecretpw"}, "http_user", "topsecretpw"},
	}
	for _, c := range cases {
		s, err := New(c.o)
		if err == nil {
			s.Close()
			t.Errorf("%s: New accepted a value that can never work", c.key)
			continue
		}
		if !strings.Contains(err.Error(), c.key) || strings.Contains(err.Error(), c.secret) {
			t.Errorf("error %q: want it to name %s and not show %q", err, c.key, c.secret)
		}
	}
}

// Credentials over plain http:// to another machine are worth a warning; to loopback
// (a sidecar, a local proxy) they are not.
func TestPlainHTTPCredentialWarning(t *testing.T) {
	cases := []struct {
		o    Options
		warn bool
	}{
		{Options{URL: "http://intake.example:8080/x", APIKey: "key"}, true},
		{Options{URL: "http://bob:pw@10.0.0.7/x"}, true},
		{Options{URL: "http://intake.example/x", Headers: [][2]string{{"X-Api-Key", "k"}}}, true},
		{Options{URL: "http://intake.example/x", Headers: [][2]string{{"X-Tenant", "a"}}}, false},
		{Options{URL: "http://127.0.0.1:9200/x", APIKey: "key"}, false},
		{Options{URL: "http://localhost:9200/x", HTTPUser: "u", HTTPPasswd: "p"}, false},
		{Options{URL: "http://[::1]:9200/x", APIKey: "key"}, false},
		{Options{URL: "https://intake.example/x", APIKey: "key"}, false},
	}
	for _, c := range cases {
		log := new(recLogger)
		c.o.Logger, c.o.TLSVerify = log, true
		s := mustNew(t, c.o)
		s.Close()
		if got := log.count("warn", "plain http://"); got != map[bool]int{true: 1, false: 0}[c.warn] {
			t.Errorf("%s: %d warnings, want warn=%v: %v", c.o.URL, got, c.warn, log.lines)
		}
		for _, l := range log.lines {
			if strings.Contains(l, "bob") || strings.Contains(l, ":pw@") {
				t.Errorf("warning shows the userinfo: %s", l)
			}
		}
	}
}

// 404, 405 and 407 say the configuration is wrong, not the documents: the chunk is kept
// (Retry) with one error line naming the intake, the status and the cause, nothing is
// dead-lettered or dropped, and the documents go through once the intake is fixed.
func TestMisconfigurationKeepsData(t *testing.T) {
	for _, status := range []int{404, 405, 407} {
		for _, withDL := range []bool{true, false} {
			t.Run(fmt.Sprintf("%d/deadletter=%v", status, withDL), func(t *testing.T) {
				broken := true
				in := newIntake(t, func(int, request, http.ResponseWriter, *http.Request) int {
					if broken {
						return status
					}
					return 200
				})
				log := new(recLogger)
				o := testOptions(in.URL, log)
				o.BatchEvents = 2
				if withDL {
					o.DeadLetterFile = filepath.Join(t.TempDir(), "dead.ndjson")
				}
				s := mustNew(t, o)
				docs := mkDocs(0, 6, 100)
				if r := s.Deliver(context.Background(), docs); r != Retry {
					t.Fatalf("result %v, want retry", r)
				}
				if n := log.count("error", fmt.Sprintf("intake ndjson answered HTTP %d", status)); n != 1 {
					t.Errorf("%d error lines naming the intake and status, want 1: %v", n, log.lines)
				}
				if st := s.Stats(); st.DeadLettered != 0 || st.Requests != 1 {
					t.Errorf("stats %s", st)
				}
				if withDL {
					if fi, err := os.Stat(o.DeadLetterFile); err != nil || fi.Size() != 0 {
						t.Errorf("dead-letter file written: %v %v", fi, err)
					}
				}
				broken = false
				deliverOK(t, s, docs)
				in.exactlyOnce(t, 0, 6)
			})
		}
	}
}

// An Elasticsearch bulk item 404 (index missing, auto-create off) keeps the chunk too.
func TestESItemNotFoundKeepsChunk(t *testing.T) {
	e := newESDouble(t)
	e.item = func(id, _ int) int {
		if id == 2 {
			return 404
		}
		return 0
	}
	log := new(recLogger)
	o := doubleOptions(t, "elasticsearch", e.URL)
	o.Logger = log
	s := mustNew(t, o)
	if r := s.Deliver(context.Background(), mkDocs(0, 5, 300)); r != Retry {
		t.Fatalf("result %v, want retry", r)
	}
	if log.count("error", "CONFIGURATION ERROR: intake elasticsearch refused some documents with HTTP 404") != 1 || s.Stats().DeadLettered != 0 {
		t.Errorf("log %v stats %s", log.lines, s.Stats())
	}
	e.item = nil
	deliverOK(t, s, mkDocs(0, 5, 300))
	expectOnce(t, e.double, o.DeadLetterFile, 0, 5, nil)
}

func TestDeadLetterRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere")
	if err := os.WriteFile(target, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "dl.ndjson")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{URL: "http://127.0.0.1:1/x", DeadLetterFile: link})
	if err == nil {
		s.Close()
		t.Fatal("a symlinked dead_letter_file was accepted")
	}
	if !strings.Contains(err.Error(), "dead_letter_file") || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("error %q", err)
	}
	// A dangling link (the target does not exist yet) must not create the target either.
	dangling := filepath.Join(dir, "dangling")
	os.Symlink(filepath.Join(dir, "created-through-link"), dangling)
	if s, err := New(Options{URL: "http://127.0.0.1:1/x", DeadLetterFile: dangling}); err == nil {
		s.Close()
		t.Error("a dangling symlink was followed")
	}
	if _, err := os.Lstat(filepath.Join(dir, "created-through-link")); err == nil {
		t.Error("the link's target was created")
	}
}

func TestDeadLetterRefusesLooseMode(t *testing.T) {
	for _, mode := range []os.FileMode{0o644, 0o640, 0o602, 0o660} {
		path := filepath.Join(t.TempDir(), "dl.ndjson")
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chmod(path, mode)
		s, err := New(Options{URL: "http://127.0.0.1:1/x", DeadLetterFile: path})
		if err == nil {
			s.Close()
			t.Errorf("mode %04o accepted", mode)
			continue
		}
		if !strings.Contains(err.Error(), "dead_letter_file") || !strings.Contains(err.Error(), fmt.Sprintf("%04o", mode)) {
			t.Errorf("error %q", err)
		}
	}
	// A private existing file is taken, and kept private.
	path := filepath.Join(t.TempDir(), "dl.ndjson")
	os.WriteFile(path, []byte("{}\n"), 0o600)
	s, err := New(Options{URL: "http://127.0.0.1:1/x", DeadLetterFile: path})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// The dead-letter file rotates to <file>.1 past DeadLetterMaxBytes: one previous file is
// kept, every line is whole JSON, and nothing written since the last rotation is lost.
func TestDeadLetterRotates(t *testing.T) {
	in := newIntake(t, func(int, request, http.ResponseWriter, *http.Request) int { return 422 })
	o := testOptions(in.URL, nil)
	o.BatchEvents = 1
	o.DeadLetterFile = filepath.Join(t.TempDir(), "dead.ndjson")
	o.DeadLetterMaxBytes = 1000
	s := mustNew(t, o)
	for i := 0; i < 20; i++ { // each batch's line is about 300 bytes
		if r := s.Deliver(context.Background(), mkDocs(i, 1, 200)); r != Delivered {
			t.Fatalf("result %v", r)
		}
	}
	cur, old := readDeadLetters(t, o.DeadLetterFile), readDeadLetters(t, o.DeadLetterFile+".1")
	fi, _ := os.Stat(o.DeadLetterFile)
	fi1, _ := os.Stat(o.DeadLetterFile + ".1")
	if fi.Size() > 1000 || fi1.Size() > 1000 || len(cur) == 0 || len(old) == 0 {
		t.Fatalf("sizes %d and %d, lines %d and %d", fi.Size(), fi1.Size(), len(cur), len(old))
	}
	if fi1.Mode().Perm() != 0o600 || fi.Mode().Perm() != 0o600 {
		t.Errorf("modes %v %v", fi.Mode(), fi1.Mode())
	}
	// The newest documents are the last 20-… ids, in order, with no gap between the files.
	var ids []int
	for _, m := range append(old, cur...) {
		doc, _ := json.Marshal(m["document"])
		id, _ := docID(t, doc)
		ids = append(ids, id)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] != ids[i-1]+1 {
			t.Fatalf("ids across the rotated files %v", ids)
		}
	}
	if ids[len(ids)-1] != 19 {
		t.Errorf("last id %d", ids[len(ids)-1])
	}
}

func TestRedactURL(t *testing.T) {
	cases := map[string]string{
		"https://alice:pw@h:8443/p?token=abc#frag": "https://h:8443/p",
		"http://alice@h/p":                         "http://h/p",
		"http://h/p?":                              "http://h/p",
		"https://h":                                "https://h",
		"http://a b:pw@h/":                         Redacted, // does not parse: not shown at all
	}
	for in, want := range cases {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
