// Package logging writes the plugin's log lines to standard error in Fluent Bit's own
// format, because the Go proxy gives a plugin no logging API and keeps `log_level` for
// the host. The level comes from the environment variable FLB_LOG_LEVEL (error, warn,
// info, debug; info by default), as the AWS Go plugins do.
//
// Nothing here is meant for the per-event hot path: callers log per flush or per batch.
package logging

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Level orders the severities; a logger prints a line when its level is at least the line's.
type Level int

const (
	LevelError Level = iota
	LevelWarn
	LevelInfo
	LevelDebug
)

var levelNames = [...]string{LevelError: "error", LevelWarn: " warn", LevelInfo: " info", LevelDebug: "debug"}

// ParseLevel reads a level name as Fluent Bit spells them; unknown names give info.
func ParseLevel(s string) Level {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "error":
		return LevelError
	case "warn", "warning":
		return LevelWarn
	case "debug", "trace":
		return LevelDebug
	}
	return LevelInfo
}

// Logger prints lines like `[2026/11/22 05:30:00.123] [ info] [output:k8saudit:k8saudit.0] msg`.
// It is safe for concurrent use: one mutex keeps lines from interleaving.
type Logger struct {
	mu     *sync.Mutex
	w      io.Writer
	level  Level
	prefix string
}

var stderrMu sync.Mutex

// New returns a logger for one output instance, writing to standard error at the level
// named by FLB_LOG_LEVEL.
func New(instance string) *Logger {
	return NewTo(os.Stderr, &stderrMu, ParseLevel(os.Getenv("FLB_LOG_LEVEL")), instance)
}

// NewTo returns a logger writing to w; mu serialises writers that share w.
func NewTo(w io.Writer, mu *sync.Mutex, level Level, instance string) *Logger {
	if mu == nil {
		mu = new(sync.Mutex)
	}
	return &Logger{mu: mu, w: w, level: level, prefix: "[output:k8saudit:" + instance + "] "}
}

// Discard returns a logger that prints nothing, for tests and benchmarks.
func Discard() *Logger { return NewTo(io.Discard, nil, LevelError, "discard") }

func (l *Logger) logf(level Level, format string, args ...any) {
	if l == nil || level > l.level {
		return
	}
	msg := oneLine(fmt.Sprintf(format, args...))
	line := fmt.Sprintf("[%s] [%s] %s%s\n", time.Now().Format("2006/01/02 15:04:05.000"), levelNames[level], l.prefix, msg)
	l.mu.Lock()
	_, _ = io.WriteString(l.w, line)
	l.mu.Unlock()
}

// oneLine keeps a message on its line: arguments may quote bytes from audit events or an
// intake's answer, and a newline there would forge a log line of its own (an escape
// sequence would drive the reader's terminal). Control characters become spaces; invalid
// UTF-8 becomes U+FFFD.
func oneLine(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == 0x7f {
			clean = false
			break
		}
	}
	if clean && utf8.ValidString(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// Enabled says whether a line of this level would be printed, to skip building costly messages.
func (l *Logger) Enabled(level Level) bool { return l != nil && level <= l.level }

func (l *Logger) Errorf(format string, args ...any) { l.logf(LevelError, format, args...) }
func (l *Logger) Warnf(format string, args ...any)  { l.logf(LevelWarn, format, args...) }
func (l *Logger) Infof(format string, args ...any)  { l.logf(LevelInfo, format, args...) }
func (l *Logger) Debugf(format string, args ...any) { l.logf(LevelDebug, format, args...) }
