package metrics

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/k8saudit/k8saudit/detect"
)

// ReadyWindow is how recent the intake's last accepted request must be for /readyz while
// documents are pending: a few of Fluent Bit's retry rounds, short enough that a probe
// notices an intake gone for good.
const ReadyWindow = 5 * time.Minute

// ErrOtherAddress: the hub already listens on another address.
var ErrOtherAddress = errors.New("the metrics listener already runs on another address")

// Buckets of the histograms: documents per request spans one event to the largest batch
// an intake takes; request latency spans a local intake's milliseconds to the timeout.
var (
	batchBuckets    = []float64{1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 50000}
	durationBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
)

var labels = []string{"output", "intake"}

// Hub holds the registry, the outputs and the listener of one process.
type Hub struct {
	mu      sync.Mutex
	reg     *prometheus.Registry
	outputs map[string]*Output

	requests *prometheus.CounterVec
	batch    *prometheus.HistogramVec
	duration *prometheus.HistogramVec
	inflight *prometheus.GaugeVec
	counters counterDescs

	srv   *http.Server
	addr  string // as asked
	bound string // as bound (differs for port 0)

	now func() time.Time // h.mu held to read it: tests move the clock
}

var (
	defaultOnce sync.Once
	defaultHub  *Hub
)

// Default is the process's hub, shared by every instance.
func Default() *Hub {
	defaultOnce.Do(func() { defaultHub = NewHub() })
	return defaultHub
}

// NewHub returns an empty hub; the plugin uses Default, tests their own.
func NewHub() *Hub {
	h := &Hub{
		reg:     prometheus.NewRegistry(),
		outputs: map[string]*Output{},
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "k8saudit_requests_total", Help: "Requests sent, every attempt, by the intake's answer: 2xx 3xx 4xx 5xx, error when none came back.",
		}, append(labels[:2:2], "code_class")),
		batch: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "k8saudit_batch_documents", Help: "Documents per request.", Buckets: batchBuckets,
		}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "k8saudit_request_duration_seconds", Help: "One request, from send to answer.", Buckets: durationBuckets,
		}, labels),
		inflight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "k8saudit_inflight_requests", Help: "Requests in flight.",
		}, labels),
		counters: newCounterDescs(),
		now:      time.Now,
	}
	h.reg.MustRegister(h.requests, h.batch, h.duration, h.inflight, (*countersCollector)(h),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return h
}

// Register adds an output. name must be unique in the hub; rulesOn has bit i set for each
// detection rule enabled (detect.Rules()[i]), whose alert series then exist from 0.
func (h *Hub) Register(name, intake string, rulesOn uint64, src Source) (*Output, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.outputs[name]; ok {
		return nil, fmt.Errorf("metrics: an output named %q is already registered", name)
	}
	o := &Output{
		hub: h, name: name, intake: intake, src: src, rulesOn: rulesOn,
		batch:    h.batch.WithLabelValues(name, intake),
		duration: h.duration.WithLabelValues(name, intake),
		inflight: h.inflight.WithLabelValues(name, intake),
	}
	for i, c := range classes {
		o.requests[i] = h.requests.WithLabelValues(name, intake, c)
	}
	h.outputs[name] = o
	return o, nil
}

// Unregister removes an output and its series; the listener closes with the last one.
func (h *Hub) Unregister(o *Output) {
	if o == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.outputs[o.name] != o {
		return
	}
	delete(h.outputs, o.name)
	for _, c := range classes {
		h.requests.DeleteLabelValues(o.name, o.intake, c)
	}
	h.batch.DeleteLabelValues(o.name, o.intake)
	h.duration.DeleteLabelValues(o.name, o.intake)
	h.inflight.DeleteLabelValues(o.name, o.intake)
	if len(h.outputs) == 0 && h.srv != nil {
		_ = h.srv.Close()
		h.srv, h.addr, h.bound = nil, "", ""
	}
}

// Listen starts the listener on addr (host:port) unless it runs already, and returns the
// address it is bound to. Asking again for the address it was started with shares it;
// asking for another returns the bound address and ErrOtherAddress.
func (h *Hub) Listen(addr string) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.srv != nil {
		if addr == h.addr || addr == h.bound {
			return h.bound, nil
		}
		return h.bound, fmt.Errorf("%w (%s, asked for %s): it serves every output", ErrOtherAddress, h.bound, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("metrics_listen %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(h.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", h.readyz)
	h.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	h.addr, h.bound = addr, ln.Addr().String()
	go func(srv *http.Server) { _ = srv.Serve(ln) }(h.srv)
	return h.bound, nil
}

// Ready reports whether every output is ready, with one line per output that is not.
func (h *Hub) Ready() (bool, []string) {
	h.mu.Lock()
	outs, now := h.sorted(), h.now()
	h.mu.Unlock()
	var why []string
	for _, o := range outs {
		if ok, reason := o.ready(now, ReadyWindow); !ok {
			why = append(why, o.name+": "+reason)
		}
	}
	return len(why) == 0, why
}

func (h *Hub) readyz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	ok, why := h.Ready()
	if ok {
		_, _ = w.Write([]byte("ready\n"))
		return
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte("not ready: " + strings.Join(why, "; ") + "\n"))
}

// sorted returns the outputs by name; h.mu held.
func (h *Hub) sorted() []*Output {
	outs := make([]*Output, 0, len(h.outputs))
	for _, o := range h.outputs {
		outs = append(outs, o)
	}
	sort.Slice(outs, func(i, j int) bool { return outs[i].name < outs[j].name })
	return outs
}

// ruleIDs are the detection rules' ids by index, the values of the rule label.
var ruleIDs = func() []string {
	var ids []string
	for _, r := range detect.Rules() {
		ids = append(ids, r.ID)
	}
	return ids
}()

// Addr is the address the listener is bound to, "" when it does not run.
func (h *Hub) Addr() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.bound
}
