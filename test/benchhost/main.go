package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// The rows, in the order they are printed. The k8saudit rows ship to the sink's /k8saudit
// with the plugin's ndjson intake; the native row is what a user would pick instead.
var rows = []Row{
	{Name: "tail → null", Output: `[OUTPUT]
    name   null
    match  *
`},
	{Name: "tail → k8saudit, format raw, compress none", Sink: true, Output: k8sauditOutput("raw", "none")},
	{Name: "tail → k8saudit, format ecs, compress none", Sink: true, Output: k8sauditOutput("ecs", "none")},
	{Name: "tail → k8saudit, defaults (ecs, gzip level 1)", Sink: true, Output: k8sauditOutput("", "")},
	{Name: "tail + json → native out_http json_lines gzip", Sink: true, Parser: true, Output: `[OUTPUT]
    name     http
    match    *
    host     {host}
    port     {port}
    uri      /native
    format   json_lines
    compress gzip
    workers  1
`},
}

// Indexes into rows, for the ratios.
const (
	rowNull = iota
	rowRaw
	rowECS
	rowDefault
	rowNative
)

func k8sauditOutput(format, compress string) string {
	s := `[OUTPUT]
    name         k8saudit
    match        *
    intake       ndjson
    url          {url}/k8saudit
    cluster_name bench
    workers      1
    retry_limit  no_limits
`
	if format != "" {
		s += "    format       " + format + "\n"
	}
	if compress != "" {
		s += "    compress     " + compress + "\n"
	}
	return s
}

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench-host:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	events := flag.Int("events", 100000, "audit lines in the generated corpus")
	runs := flag.Int("runs", 2, "runs of each row; the table shows the least CPU")
	fixtures := flag.String("fixtures", filepath.Join(root, "testdata", "fixtures", "real"), "folder of real audit logs (*.log, *.jsonl) the corpus is made from")
	so := flag.String("so", filepath.Join(root, "build", "out", "out_k8saudit.so"), "the plugin")
	storage := flag.String("storage", "memory", "buffering of the tail input: memory or filesystem")
	memBufLimit := flag.String("mem-buf-limit", "32M", "tail's mem_buf_limit with -storage memory (\"\" = unbounded): the backlog a slow output lets tail read ahead")
	maxChunksUp := flag.String("max-chunks-up", "16", "storage.max_chunks_up with -storage filesystem (\"\" = the host's default, 128)")
	only := flag.String("rows", "", "comma-separated row numbers (1-5) to run; empty = all")
	profile := flag.Bool("profile", false, "one more run of the default k8saudit row with K8SAUDIT_CPUPROFILE and K8SAUDIT_MEMPROFILE, and the top of the CPU profile")
	var envs, service, input multiFlag
	flag.Var(&input, "input", `a "key value" line for the tail [INPUT], e.g. "mem_buf_limit 64M" (repeatable)`)
	flag.Var(&service, "service", `a "key value" line for the [SERVICE] section, e.g. "storage.max_chunks_up 16" (repeatable)`)
	flag.Var(&envs, "env", "KEY=VALUE for the Fluent Bit process, e.g. GOGC=50 (repeatable)")
	flag.Parse()

	switch {
	case *storage == "memory" && *memBufLimit != "":
		input = append(multiFlag{"mem_buf_limit " + *memBufLimit}, input...)
	case *storage == "filesystem" && *maxChunksUp != "":
		service = append(multiFlag{"storage.max_chunks_up " + *maxChunksUp}, service...)
	case *storage != "memory" && *storage != "filesystem":
		return fmt.Errorf("-storage %q: memory or filesystem", *storage)
	}
	bin, err := FindFluentBit(root)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "k8saudit-bench-host-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(dir)

	templates, err := Templates(*fixtures)
	if err != nil {
		return err
	}
	corpus := filepath.Join(dir, "audit.log")
	f, err := os.Create(corpus)
	if err != nil {
		return fmt.Errorf("corpus: %w", err)
	}
	size, err := WriteCorpus(f, templates, *events)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	sink, err := NewSink()
	if err != nil {
		return err
	}
	defer sink.Close()

	setup := Setup{FluentBit: bin, SO: *so, Corpus: corpus, Events: *events, Dir: dir, Storage: *storage, Service: service, Input: input, Env: envs, Timeout: 10 * time.Minute}
	fmt.Fprintf(w, "bench-host: %s, %d events (%d real templates from %s), %.2f GB, storage %s, %d runs per row", bin, *events, len(templates), *fixtures, float64(size)/1e9, *storage, *runs)
	if len(envs) > 0 {
		fmt.Fprintf(w, ", env %s", strings.Join(envs, " "))
	}
	if len(input) > 0 {
		fmt.Fprintf(w, ", input %s", strings.Join(input, "; "))
	}
	if len(service) > 0 {
		fmt.Fprintf(w, ", service %s", strings.Join(service, "; "))
	}
	fmt.Fprintln(w)

	want := map[int]bool{}
	for _, s := range strings.Split(*only, ",") {
		var n int
		if _, err := fmt.Sscan(s, &n); err == nil && n >= 1 && n <= len(rows) {
			want[n-1] = true
		}
	}
	results := make([][]Usage, len(rows))
	// Rows alternate run by run, so that a burst of load from elsewhere on the machine
	// lands on different rows rather than on every run of one.
	for r := 0; r < *runs; r++ {
		for i, row := range rows {
			if len(want) > 0 && !want[i] {
				continue
			}
			u, err := setup.Run(row, sink)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "  run %d  %-48s cpu %6.2f s (user %.2f, sys %.2f)  peak rss %5d MB (ru_maxrss %d MB)  wall %5.1f s",
				r+1, row.Name, u.CPU().Seconds(), u.User.Seconds(), u.Sys.Seconds(), u.Peak()>>20, u.MaxRSS>>20, u.Wall.Seconds())
			if row.Sink {
				fmt.Fprintf(w, "  sink: %d requests, %d MB sent", sink.reqs.Load(), sink.wire.Load()>>20)
			}
			if u.GoSys > 0 {
				fmt.Fprintf(w, "  go: sys %d MB, %d GCs, %d MB allocated", u.GoSys>>20, u.GoNumGC, u.GoAlloc>>20)
			}
			fmt.Fprintln(w)
			results[i] = append(results[i], u)
		}
	}
	report(w, results, *events)
	if *profile {
		return profileRun(w, setup, sink, dir)
	}
	return nil
}

// report prints the table (least CPU over the runs, for a shared machine's noise, and the
// range of peak RSS, whose worst run counts), the ratios against the goals, and where the
// time goes.
func report(w io.Writer, results [][]Usage, events int) {
	best := make([]Usage, len(results)) // least CPU; Peak is the largest of the runs
	fmt.Fprintf(w, "\n| pipeline | CPU (least of runs) | peak RSS (runs) | CPU of each run |\n|---|---|---|---|\n")
	for i, us := range results {
		if len(us) == 0 {
			continue
		}
		cpus := make([]float64, len(us))
		best[i] = us[0]
		lo, hi := us[0].Peak(), us[0].Peak()
		for k, u := range us {
			cpus[k] = u.CPU().Seconds()
			if u.CPU() < best[i].CPU() {
				best[i].User, best[i].Sys = u.User, u.Sys
			}
			lo, hi = min(lo, u.Peak()), max(hi, u.Peak())
		}
		best[i].HWM = hi
		sort.Float64s(cpus)
		rss := fmt.Sprintf("%d MB", hi>>20)
		if lo>>20 != hi>>20 {
			rss = fmt.Sprintf("%d–%d MB", lo>>20, hi>>20)
		}
		fmt.Fprintf(w, "| %s | %.1f s | %s | %s |\n", rows[i].Name, best[i].CPU().Seconds(), rss, floats(cpus))
	}
	have := func(i int) bool { return len(results[i]) > 0 }
	fmt.Fprintln(w)
	if have(rowDefault) && have(rowNative) {
		r := best[rowDefault].CPU().Seconds() / best[rowNative].CPU().Seconds()
		fmt.Fprintf(w, "CPU(k8saudit defaults) / CPU(native out_http)  = %.2f  (goal ≤ 0.25: %s)\n", r, verdict(r <= 0.25))
	}
	if have(rowDefault) && have(rowNull) {
		r := float64(best[rowDefault].Peak()) / float64(best[rowNull].Peak())
		fmt.Fprintf(w, "peak RSS(k8saudit defaults) / peak RSS(null)   = %.2f  (largest of the runs; goal ≤ 1.5: %s)\n", r, verdict(r <= 1.5))
		plugin := best[rowDefault].CPU() - best[rowNull].CPU()
		fmt.Fprintf(w, "the plugin's own CPU (defaults − null)          = %.1f s, %.0f µs per event\n", plugin.Seconds(), float64(plugin.Microseconds())/float64(events))
	}
	if have(rowNative) && have(rowNull) {
		fmt.Fprintf(w, "out_http's own CPU (native − null)              = %.1f s\n", (best[rowNative].CPU() - best[rowNull].CPU()).Seconds())
	}
	if have(rowNull) && have(rowRaw) && have(rowECS) && have(rowDefault) {
		total := best[rowDefault].CPU().Seconds()
		part := func(name string, d time.Duration) {
			fmt.Fprintf(w, "  %-62s %5.1f s  %3.0f%%\n", name, d.Seconds(), 100*d.Seconds()/total)
		}
		fmt.Fprintf(w, "\nwhere the time goes (k8saudit defaults, from the rows' differences):\n")
		part("host: tail, msgpack chunks, engine (the null row)", best[rowNull].CPU())
		part("plugin: read chunk + raw normalize + batch + HTTP (raw − null)", best[rowRaw].CPU()-best[rowNull].CPU())
		part("plugin: ECS mapping over raw (ecs − raw)", best[rowECS].CPU()-best[rowRaw].CPU())
		part("plugin: gzip level 1 (defaults − ecs)", best[rowDefault].CPU()-best[rowECS].CPU())
	}
}

// profileRun runs the default row once more with the plugin's profiles on and prints the
// top of the CPU profile and the runtime's GC figures.
func profileRun(w io.Writer, setup Setup, sink *Sink, dir string) error {
	cpu := filepath.Join(dir, "cpu.pprof")
	mem := filepath.Join(dir, "heap.txt")
	u, err := setup.Run(rows[rowDefault], sink, "K8SAUDIT_CPUPROFILE="+cpu, "K8SAUDIT_MEMPROFILE="+mem)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nprofile run (%s): cpu %.2f s, peak rss %d MB\n", rows[rowDefault].Name, u.CPU().Seconds(), u.Peak()>>20)
	out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=30", cpu).CombinedOutput()
	if err != nil {
		return fmt.Errorf("go tool pprof: %w\n%s", err, out)
	}
	fmt.Fprintf(w, "%s\n", out)
	out, err = exec.Command("go", "tool", "pprof", "-top", "-cum", "-nodecount=25", cpu).CombinedOutput()
	if err != nil {
		return fmt.Errorf("go tool pprof: %w\n%s", err, out)
	}
	fmt.Fprintf(w, "cumulative:\n%s\n", out)
	data, err := os.ReadFile(mem)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		for _, k := range []string{"# TotalAlloc", "# Sys ", "# HeapSys", "# HeapInuse", "# NextGC", "# NumGC", "# PauseTotalNs", "# GCCPUFraction"} {
			if strings.HasPrefix(line, k) {
				fmt.Fprintln(w, line)
			}
		}
	}
	if d := os.Getenv("BENCH_HOST_KEEP"); d != "" {
		_ = os.Rename(cpu, filepath.Join(d, "cpu.pprof"))
		_ = os.Rename(mem, filepath.Join(d, "heap.txt"))
	}
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func floats(fs []float64) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = fmt.Sprintf("%.1f", f)
	}
	return strings.Join(s, ", ")
}

// repoRoot is the nearest folder upwards from the working directory that holds go.mod.
func repoRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		up := filepath.Dir(d)
		if up == d {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		d = up
	}
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
