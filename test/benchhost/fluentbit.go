package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// FindFluentBit returns the fluent-bit binary: $FLUENT_BIT, then fluent-bit on PATH, then
// what ../shared/tools/fluent-bit/ensure (relative to the repository root) prints.
func FindFluentBit(repoRoot string) (string, error) {
	if b := os.Getenv("FLUENT_BIT"); b != "" {
		return b, nil
	}
	if b, err := exec.LookPath("fluent-bit"); err == nil {
		return b, nil
	}
	ensure := filepath.Join(repoRoot, "..", "shared", "tools", "fluent-bit", "ensure")
	out, err := exec.Command(ensure).Output()
	if err != nil {
		return "", fmt.Errorf("no fluent-bit: FLUENT_BIT unset, none on PATH, and %s failed: %w", ensure, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Row is one pipeline of the benchmark.
type Row struct {
	Name   string
	Output string // the [OUTPUT] section, with %s for the sink's URL (k8saudit) or host/port
	Parser bool   // tail parses each line as JSON (what out_http needs to send the event)
	Sink   bool   // documents are counted at the sink (otherwise from the host's metrics)
}

// Setup is what every row shares.
type Setup struct {
	FluentBit, SO string
	Corpus        string
	Events        int
	Dir           string   // a scratch folder for configs, storage and profiles
	Storage       string   // "memory" or "filesystem" (the shipped configuration's choice)
	Service       []string // more [SERVICE] lines, "key value"
	Input         []string // more lines of the tail [INPUT]
	Env           []string
	Timeout       time.Duration
}

// Run runs one row once: Fluent Bit reads the whole corpus, and is stopped (SIGTERM) once
// every event has been counted at the sink, or by the host's output metrics for rows
// without a sink. It returns the child's cost.
func (s Setup) Run(row Row, sink *Sink, env ...string) (Usage, error) {
	port, err := freePort()
	if err != nil {
		return Usage{}, err
	}
	runDir, err := os.MkdirTemp(s.Dir, "run-")
	if err != nil {
		return Usage{}, fmt.Errorf("run dir: %w", err)
	}
	defer os.RemoveAll(runDir)
	conf, err := s.config(row, sink, runDir, port)
	if err != nil {
		return Usage{}, err
	}
	confPath := filepath.Join(runDir, "fluent-bit.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return Usage{}, fmt.Errorf("config: %w", err)
	}
	sink.Reset()
	cmd := exec.Command(s.FluentBit, "-e", s.SO, "-c", confPath)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(append(os.Environ(), s.Env...), env...)
	memProfile := filepath.Join(runDir, "heap.txt")
	if strings.Contains(row.Output, "k8saudit") && !hasKey(env, "K8SAUDIT_MEMPROFILE") {
		cmd.Env = append(cmd.Env, "K8SAUDIT_MEMPROFILE="+memProfile)
	}
	child, err := Start(cmd)
	if err != nil {
		return Usage{}, err
	}
	deadline := time.Now().Add(s.Timeout)
	var got int64
	for {
		if row.Sink {
			got = sink.Docs()
		} else {
			got = outputRecords(port)
		}
		if got >= int64(s.Events) {
			break
		}
		select {
		case <-child.Done():
			u, err := child.Wait(0)
			return u, fmt.Errorf("%s: fluent-bit exited after %d of %d events (%v):\n%s", row.Name, got, s.Events, err, tail(out.String()))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = child.Signal(syscall.SIGKILL)
			u, _ := child.Wait(10 * time.Second)
			return u, fmt.Errorf("%s: %d of %d events after %s:\n%s", row.Name, got, s.Events, s.Timeout, tail(out.String()))
		}
	}
	_ = child.Signal(syscall.SIGTERM)
	u, err := child.Wait(60 * time.Second)
	if err != nil {
		return u, fmt.Errorf("%s: fluent-bit did not stop cleanly: %w\n%s", row.Name, err, tail(out.String()))
	}
	readMemStats(memProfile, &u)
	if row.Sink {
		if n := sink.Docs(); n != int64(s.Events) {
			return u, fmt.Errorf("%s: the sink holds %d documents for %d events", row.Name, n, s.Events)
		}
	}
	return u, nil
}

func (s Setup) config(row Row, sink *Sink, runDir string, port int) (string, error) {
	parsers := filepath.Join(runDir, "parsers.conf")
	if err := os.WriteFile(parsers, []byte("[PARSER]\n    name   json\n    format json\n"), 0o644); err != nil {
		return "", fmt.Errorf("parsers: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `[SERVICE]
    flush         1
    grace         5
    log_level     warn
    parsers_file  %s
    http_server   on
    http_listen   127.0.0.1
    http_port     %d
`, parsers, port)
	for _, kv := range s.Service {
		fmt.Fprintf(&b, "    %s\n", kv)
	}
	if s.Storage == "filesystem" {
		fmt.Fprintf(&b, "    storage.path  %s\n    storage.sync  normal\n    storage.backlog.mem_limit 16M\n", filepath.Join(runDir, "storage"))
	}
	// The tail settings of conf/fluent-bit.conf, without the offsets DB: every run reads the
	// corpus from its head.
	fmt.Fprintf(&b, `
[INPUT]
    name              tail
    tag               kube.audit
    path              %s
    read_from_head    on
    buffer_chunk_size 256k
    buffer_max_size   16M
    skip_long_lines   on
    refresh_interval  1
    storage.type      %s
`, s.Corpus, s.Storage)
	if row.Parser {
		b.WriteString("    parser            json\n")
	}
	for _, kv := range s.Input {
		fmt.Fprintf(&b, "    %s\n", kv)
	}
	b.WriteString("\n")
	host, portStr, _ := net.SplitHostPort(strings.TrimPrefix(sink.URL, "http://"))
	r := strings.NewReplacer("{url}", sink.URL, "{host}", host, "{port}", portStr)
	b.WriteString(r.Replace(row.Output))
	return b.String(), nil
}

// outputRecords is the sum of proc_records over the host's outputs (its metrics endpoint),
// or -1 while the endpoint does not answer.
func outputRecords(port int) int64 {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/api/v1/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var m struct {
		Output map[string]struct {
			ProcRecords int64 `json:"proc_records"`
		} `json:"output"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return -1
	}
	var n int64
	for _, o := range m.Output {
		n += o.ProcRecords
	}
	return n
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	a, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		return 0, fmt.Errorf("free port: not TCP: %v", ln.Addr())
	}
	return a.Port, nil
}

// tail is the end of Fluent Bit's output, for an error message.
func tail(s string) string {
	if len(s) > 3000 {
		return "..." + s[len(s)-3000:]
	}
	return s
}

func hasKey(env []string, key string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, key+"=") {
			return true
		}
	}
	return false
}

// readMemStats reads the runtime's figures from the end of a heap profile in text form
// ("# Sys = 123"); a missing file leaves u as it is.
func readMemStats(path string, u *Usage) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "# "), " = ")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "Sys":
			u.GoSys = n
		case "NumGC":
			u.GoNumGC = int(n)
		case "TotalAlloc":
			u.GoAlloc = n
		}
	}
}
