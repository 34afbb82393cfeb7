package metrics

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Status classes, the values of the code_class label.
var classes = [...]string{"2xx", "3xx", "4xx", "5xx", "error"}

// classOf maps an HTTP status to its index in classes; 0 (no answer: reset, timeout,
// refused, TLS) and anything outside 200-599 is "error".
func classOf(status int) int {
	if status >= 200 && status < 600 {
		return status/100 - 2
	}
	return len(classes) - 1
}

// Output is one [OUTPUT] instance's place in the hub. It is the sender's observer
// (deliver.Observer): its methods run once per request attempt, on the flush's goroutine,
// and touch only series resolved at Register, so they do not allocate.
type Output struct {
	hub          *Hub
	name, intake string
	src          Source
	rulesOn      uint64 // the rules enabled: their series exist from 0

	requests [len(classes)]prometheus.Counter
	batch    prometheus.Observer
	duration prometheus.Observer
	inflight prometheus.Gauge

	lastOK atomic.Int64 // Unix nanoseconds of the last 2xx answer, 0 before any
}

// Name is the output label.
func (o *Output) Name() string { return o.name }

// RequestStarted counts a request in flight.
func (o *Output) RequestStarted() { o.inflight.Inc() }

// RequestDone records one request's answer: status is the HTTP status, 0 when none came
// back; docs the documents in the request; took the time from send to answer.
func (o *Output) RequestDone(status, docs int, took time.Duration) {
	o.inflight.Dec()
	c := classOf(status)
	o.requests[c].Inc()
	o.batch.Observe(float64(docs))
	o.duration.Observe(took.Seconds())
	if c == 0 {
		o.lastOK.Store(time.Now().UnixNano())
	}
}

// LastAccepted is when the intake last answered 2xx (zero time before any).
func (o *Output) LastAccepted() time.Time {
	if ns := o.lastOK.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// ready reports whether the output is ready at now, and why not.
func (o *Output) ready(now time.Time, window time.Duration) (bool, string) {
	pending, since := o.src.Pending(now)
	if !pending {
		return true, ""
	}
	last := o.LastAccepted()
	if !last.IsZero() && now.Sub(last) <= window {
		return true, ""
	}
	why := "the intake has accepted no request since the start"
	if !last.IsZero() {
		why = "the intake last accepted a request " + now.Sub(last).Round(time.Second).String() + " ago"
	}
	return false, why + ", and documents wait since " + now.Sub(since).Round(time.Second).String()
}
