// Command benchhost is make bench-host: what the plugin costs inside a real Fluent Bit, next
// to the host's own floor and to the native output a user would pick instead.
//
// It writes a corpus of audit lines (default 100,000) made from the real events of
// testdata/fixtures/real (bodies included; each line gets its own auditID and timestamps,
// deterministically), then runs Fluent Bit once per row and run:
//
//	tail → null                                        the host's floor
//	tail → k8saudit, format raw, compress none
//	tail → k8saudit, format ecs, compress none
//	tail → k8saudit, defaults (ecs, gzip level 1)
//	tail + json → native out_http json_lines gzip      what a user would pick instead
//
// Every row reads the same tail input, with the settings of conf/fluent-bit.conf and a bounded
// backlog: with -storage memory (the default) tail's mem_buf_limit (-mem-buf-limit, 32M), with
// -storage filesystem storage.max_chunks_up (-max-chunks-up, 16). Unbounded, the host keeps
// every chunk tail has read and the output has not yet taken, so peak RSS measures how far
// tail got ahead of the output (and the load on the machine), not what the output holds.
//
// The k8saudit and out_http rows post to a sink in this process that counts documents (it
// gunzips and counts lines); a run ends once the sink holds every event (the null row: once
// the host's metrics say the output processed every record), with SIGTERM. The figures are
// the Fluent Bit process's CPU seconds (user + system, from wait4's rusage) and its peak
// RSS (VmHWM sampled from /proc while it runs; ru_maxrss is printed beside it). CPU seconds,
// not wall time, because the machine is shared: each row runs -runs times (rows alternate)
// and the table shows the least. It prints the ratios against the goals (CPU of the
// defaults ≤ 0.25 × out_http; peak RSS ≤ 1.5 × null) and where the time goes, from the
// rows' differences; -profile adds one run with the plugin's K8SAUDIT_CPUPROFILE and
// K8SAUDIT_MEMPROFILE (plugin/profile.go) and prints the top of both.
//
// The quick tests (corpus, measurement, sink) run with make test; the benchmark itself does
// not (a few minutes on two cores).
package main
