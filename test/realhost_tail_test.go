package test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tinylib/msgp/msgp"
)

// tailInput is a tail [INPUT] as the shipped configurations set it, with rotation and
// discovery fast enough for a test.
func tailInput(logPath, db, extra string) string {
	return fmt.Sprintf(`[INPUT]
    name               tail
    tag                kube.audit
    path               %s
    db                 %s
    read_from_head     on
    buffer_chunk_size  256k
    buffer_max_size    16M
    skip_long_lines    on
    refresh_interval   1
    rotate_wait        5
%s
`, logPath, db, extra)
}

// k8sauditOutput is the plugin's [OUTPUT] as the shipped configurations set it; extra lines
// come first and replace the defaults of the keys they set.
func k8sauditOutput(intakeKind, url, extra string) string {
	out := fmt.Sprintf("[OUTPUT]\n    name           k8saudit\n    match          kube.*\n    intake         %s\n    url            %s\n", intakeKind, url)
	if extra != "" {
		out += strings.TrimRight(extra, "\n") + "\n"
	}
	for _, def := range [][2]string{{"cluster_name", "realhost"}, {"workers", "1"}, {"retry_limit", "no_limits"}} {
		if !strings.Contains(extra, " "+def[0]+" ") {
			out += fmt.Sprintf("    %-14s %s\n", def[0], def[1])
		}
	}
	return out + "\n"
}

// tail of an audit log inside Fluent Bit, both record shapes the host writes as v2 chunks
// ([[time, metadata], record]): the raw line under "log", and the parsed map with
// "Parser json". Mid-run the log is rotated as the API server does it (lines appended,
// audit.log renamed, a new audit.log created): every event arrives exactly once.
func TestRealHostTailRotation(t *testing.T) {
	t.Parallel()
	lines, want := logLines(t, filepath.Join(fixtures(t), "chunks", "tail-input.log"))
	if len(lines) < 100 {
		t.Fatalf("fixture has %d lines, want at least 100", len(lines))
	}
	for _, shape := range []struct{ name, parser string }{
		{"raw-log-line", ""},
		{"parser-json", "    parser             json"},
	} {
		t.Run(shape.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			logPath := filepath.Join(dir, "audit.log")
			first, mid := lines[:len(lines)/2], lines[len(lines)/2:len(lines)*3/4]
			rest := lines[len(lines)*3/4:]
			copyLines(t, logPath, first, false)
			writeIn(t, dir, "parsers.conf", "[PARSER]\n    name   json\n    format json\n")
			in := newIntake(t, nil)
			conf := writeIn(t, dir, "fluent-bit.conf",
				service("    parsers_file     "+filepath.Join(dir, "parsers.conf"))+
					tailInput(logPath, filepath.Join(dir, "tail.db"), shape.parser)+
					k8sauditOutput("ndjson", in.url(), ""))
			fb := startFluentBit(t, conf)
			fb.waitUntil(30*time.Second, fmt.Sprintf("%d events from the first part of the log delivered", len(first)),
				func() bool { return in.docCount() >= len(first) })

			// Rotation: the writer appends, renames, and starts a new file.
			copyLines(t, logPath, mid, true)
			if err := os.Rename(logPath, logPath+".1"); err != nil {
				t.Fatal(err)
			}
			copyLines(t, logPath, rest, false)
			fb.waitUntil(30*time.Second, fmt.Sprintf("all %d events delivered across the rotation", len(want)),
				func() bool { return in.docCount() >= len(want) })
			quiet(time.Second, in.docCount)
			fb.stop(15 * time.Second)
			in.mustBeClean(t)
			docs, _, _ := in.snapshot()
			exactlyOnce(t, shape.name, docs, want)
			if shape.parser == "" {
				return
			}
			// With Parser json the chunk holds the parsed map: the plugin must have rendered it
			// back, not shipped pipeline errors.
			for _, d := range docs {
				if lookupString(d.m, "event.kind") == "pipeline_error" {
					t.Errorf("a parsed record became a pipeline_error: %.300s", d.raw)
					break
				}
			}
		})
	}
}

// v1 chunks ([time, record] entries) as the host writes them: the forward input appends a
// PackedForward stream as it arrives (fw_prot.c append_log), so a Fluentd or an old Fluent
// Bit forwarding legacy entries puts v1 entries, integer times, straight into the chunk the
// plugin reads. Every event arrives exactly once.
func TestRealHostForwardV1Entries(t *testing.T) {
	t.Parallel()
	lines, want := logLines(t, filepath.Join(fixtures(t), "chunks", "tail-input.log"))
	dir := t.TempDir()
	port := freePort(t)
	in := newIntake(t, nil)
	conf := writeIn(t, dir, "fluent-bit.conf", service("")+fmt.Sprintf(`[INPUT]
    name    forward
    listen  127.0.0.1
    port    %d
`, port)+k8sauditOutput("ndjson", in.url(), ""))
	fb := startFluentBit(t, conf)

	var conn net.Conn
	fb.waitUntil(20*time.Second, "the forward input listening", func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			conn = c
		}
		return err == nil
	})
	defer conn.Close()
	// Two PackedForward messages, so that the plugin sees v1 entries in more than one append.
	for _, part := range [][][]byte{lines[:len(lines)/2], lines[len(lines)/2:]} {
		var entries []byte
		for i, l := range part {
			entries = msgp.AppendArrayHeader(entries, 2)
			entries = msgp.AppendInt64(entries, 1700000000+int64(i)) // v1: integer seconds
			entries = msgp.AppendMapHeader(entries, 1)
			entries = msgp.AppendString(entries, "log")
			entries = msgp.AppendString(entries, string(l))
		}
		msg := msgp.AppendArrayHeader(nil, 2)
		msg = msgp.AppendString(msg, "kube.audit")
		msg = msgp.AppendBytes(msg, entries)
		if _, err := conn.Write(msg); err != nil {
			t.Fatal(err)
		}
	}
	fb.waitUntil(30*time.Second, fmt.Sprintf("all %d forwarded events delivered", len(want)),
		func() bool { return in.docCount() >= len(want) })
	quiet(time.Second, in.docCount)
	fb.stop(15 * time.Second)
	in.mustBeClean(t)
	docs, _, _ := in.snapshot()
	exactlyOnce(t, "forward v1 entries", docs, want)
}

// freePort returns a TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
