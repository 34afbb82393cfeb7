package logging

import (
	"bytes"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func TestLineFormatAndLevels(t *testing.T) {
	var buf bytes.Buffer
	l := NewTo(&buf, new(sync.Mutex), LevelInfo, "k8saudit.1")
	l.Infof("config: %s", "intake=stdout")
	l.Debugf("not shown at info")
	l.Errorf("boom %d", 7)
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2 (debug suppressed): %q", len(lines), buf.String())
	}
	// Fluent Bit's own format, so that grep and log shippers treat both alike.
	re := regexp.MustCompile(`^\[\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{3}\] \[ info\] \[output:k8saudit:k8saudit\.1\] config: intake=stdout$`)
	if !re.MatchString(lines[0]) {
		t.Errorf("info line %q", lines[0])
	}
	if !strings.HasSuffix(lines[1], "[error] [output:k8saudit:k8saudit.1] boom 7") {
		t.Errorf("error line %q", lines[1])
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]Level{"error": LevelError, "WARN": LevelWarn, "warning": LevelWarn, "info": LevelInfo, "debug": LevelDebug, "trace": LevelDebug, "": LevelInfo, "bogus": LevelInfo} {
		if got := ParseLevel(in); got != want {
			t.Errorf("ParseLevel(%q) = %v, want %v", in, got, want)
		}
	}
	if (*Logger)(nil).Enabled(LevelError) {
		t.Error("a nil logger must print nothing")
	}
	Discard().Errorf("nothing %s", "happens")
}

// A message is one line whatever its arguments hold: a newline from an event or an
// answer cannot forge a second log line, an escape cannot reach the terminal.
func TestMessageStaysOnOneLine(t *testing.T) {
	var buf bytes.Buffer
	l := NewTo(&buf, new(sync.Mutex), LevelInfo, "k8saudit.0")
	l.Warnf("answer: %s", "bad\n[2026/01/01 00:00:00.000] [ info] [output:k8saudit:k8saudit.0] forged\r\x1b[2J\xff")
	out := buf.String()
	if strings.Count(out, "\n") != 1 || strings.ContainsAny(out, "\r\x1b") || !strings.Contains(out, "\uFFFD") {
		t.Errorf("%q", out)
	}
}
