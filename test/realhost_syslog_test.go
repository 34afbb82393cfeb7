package test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// intake syslog inside a real Fluent Bit: the tail of an audit log reaches a TCP syslog
// receiver as one octet-counted RFC 5424 message per event, each body the ECS document,
// every event exactly once.
func TestRealHostSyslog(t *testing.T) {
	t.Parallel()
	lines, want := logLines(t, filepath.Join(fixtures(t), "chunks", "tail-input.log"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	var docs []doc
	var bad []string
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				br := bufio.NewReaderSize(c, 1<<20)
				for {
					n, err := br.ReadString(' ')
					if err != nil {
						return
					}
					size, err := strconv.Atoi(strings.TrimSuffix(n, " "))
					if err != nil {
						mu.Lock()
						bad = append(bad, "frame length "+n)
						mu.Unlock()
						return
					}
					msg := make([]byte, size)
					if _, err := io.ReadFull(br, msg); err != nil {
						return
					}
					// <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] BODY
					f := strings.SplitN(string(msg), " ", 7)
					var m map[string]any
					_, body, ok := strings.Cut(f[len(f)-1], "] ")
					mu.Lock()
					if len(f) < 7 || !strings.HasSuffix(f[0], ">1") || f[3] != "k8saudit" || !ok || json.Unmarshal([]byte(body), &m) != nil {
						bad = append(bad, string(msg[:min(len(msg), 200)]))
					} else {
						docs = append(docs, doc{raw: []byte(body), m: m})
					}
					mu.Unlock()
				}
			}(c)
		}
	}()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(docs) }
	dir := t.TempDir()
	logPath := filepath.Join(dir, "audit.log")
	copyLines(t, logPath, lines, false)
	conf := writeIn(t, dir, "fluent-bit.conf", service("")+tailInput(logPath, filepath.Join(dir, "tail.db"), "")+
		k8sauditOutput("syslog", "tcp://"+ln.Addr().String(), "    syslog_hostname cp-1\n    timeout         5s"))
	fb := startFluentBit(t, conf)
	fb.waitUntil(30*time.Second, "every event at the syslog receiver", func() bool { return count() >= len(want) })
	quiet(time.Second, count)
	fb.stop(15 * time.Second)
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Fatalf("%d messages not as specified, first: %s", len(bad), bad[0])
	}
	exactlyOnce(t, "syslog", docs, want)
}
