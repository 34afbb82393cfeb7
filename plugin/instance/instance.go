package instance

import (
	"context"
	"fmt"
	"io"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/k8saudit/k8saudit/detect"
	"github.com/k8saudit/k8saudit/normalize"
	"github.com/k8saudit/k8saudit/normalize/policy"
	"github.com/k8saudit/k8saudit/plugin/chunk"
	"github.com/k8saudit/k8saudit/plugin/config"
	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/freelist"
	"github.com/k8saudit/k8saudit/plugin/intake"
	"github.com/k8saudit/k8saudit/plugin/logging"
	"github.com/k8saudit/k8saudit/plugin/metrics"
)

// Code is the outcome of one flush: deliver's Result, the one outcome type from the
// intake to the shim. Flush answers OK or Retry, never deliver.Failed (see the package
// doc: Fluent Bit deletes a chunk answered FLB_ERROR).
type Code = deliver.Result

const (
	OK    = deliver.Delivered // every document delivered or set aside: Fluent Bit may delete the chunk
	Retry = deliver.Retry     // something retryable remains: Fluent Bit must hand the chunk back later
)

// maxIdleScratch is how many flush scratches stay allocated between flushes: enough for
// the workers Fluent Bit runs concurrently in a typical config.
const maxIdleScratch = 4

// maxPooledDocBytes bounds the document buffer a scratch may keep between flushes, so that one
// giant chunk does not pin its memory for the life of the process: 16 MiB holds the
// documents of a 12 MB chunk (Fluent Bit's chunks are about 2 MB); a larger one allocates
// its buffer for that flush only.
const maxPooledDocBytes = 16 << 20

// Instance is one configured output.
type Instance struct {
	cfg      *config.Config
	log      *logging.Logger
	shipper  intake.Shipper // the intake: deliver's HTTP core or an intake's own transport
	normOpts normalize.Options
	scratch  *freelist.List[scratch]

	ctx    context.Context
	cancel context.CancelFunc

	records        atomic.Uint64
	documents      atomic.Uint64
	pipelineErrors atomic.Uint64
	chunkErrors    atomic.Uint64
	dropped        atomic.Uint64                   // events the policy dropped
	droppedBy      []atomic.Uint64                 // the same by normalize.DropReason.Index
	redacted       atomic.Uint64                   // documents with secret material replaced
	redactedIn     [2]atomic.Uint64                // the same by where (metrics.RedactedURI, RedactedBody)
	salvaged       atomic.Uint64                   // event documents read by the normalizer's safe road
	alerts         atomic.Uint64                   // documents that matched a detection
	ruleHits       [metrics.MaxRules]atomic.Uint64 // documents per matched rule, by index in detect.Rules()
	pend           pending                         // flushes in progress, for the oldest-undelivered gauge and /readyz
	metrics        *metrics.Hub                    // nil: not registered
	output         *metrics.Output
	stop           chan struct{} // closes the stats line's goroutine
	statsDone      chan struct{}
	retried        *retried    // chunks answered Retry: counted on their first attempt only
	ready          atomic.Bool // the shipper is set: registered before it exists, Counts must not read it until then
	closeOnce      sync.Once
}

// scratch is what one flush needs; a pool hands each concurrent flush its own.
type scratch struct {
	reader chunk.Reader
	norm   *normalize.Normalizer
	docs   deliver.Docs
}

// New builds an instance from a validated config, outside any metrics hub. poster, when
// non-nil, replaces the network transport (tests and benchmarks).
func New(cfg *config.Config, log *logging.Logger, poster deliver.Poster) (*Instance, error) {
	return NewWith(cfg, log, With{Poster: poster})
}

// With is what NewWith takes besides the config and the logger; every field is optional.
type With struct {
	Poster  deliver.Poster // replaces the network transport (tests and benchmarks)
	Name    string         // the output label: Fluent Bit's name for the instance, k8saudit.<n>
	Metrics *metrics.Hub   // the process's hub (metrics.Default()); nil keeps the instance out of metrics
}

// NewWith builds an instance and, with w.Metrics, registers it under w.Name and starts the
// hub's listener when cfg.MetricsListen asks for it.
func NewWith(cfg *config.Config, log *logging.Logger, w With) (*Instance, error) {
	poster := w.Poster
	normOpts, err := cfg.NormalizeOptions()
	if err != nil {
		return nil, err
	}
	var pol *policy.Policy
	if cfg.PolicyFile != "" {
		// The error names the file and the line.
		if pol, err = policy.Load(cfg.PolicyFile); err != nil {
			return nil, err
		}
		log.Infof("policy %s", pol)
		for _, w := range pol.Warnings() {
			log.Warnf("policy: %s", w)
		}
	}
	normOpts.Policy = pol
	in := &Instance{cfg: cfg, log: log, retried: newRetried()}
	rules := 0
	if pol != nil {
		rules = pol.Len()
	}
	in.droppedBy = make([]atomic.Uint64, normalize.DropReasonCount(rules))
	var observer deliver.Observer // left nil without metrics: not even a call per request
	if w.Metrics != nil {
		out, err := w.Metrics.Register(w.Name, cfg.Intake, rulesOn(cfg), in)
		if err != nil {
			return nil, err
		}
		in.metrics, in.output, observer = w.Metrics, out, out
	}
	withObserver := *cfg // the intake's options, with this instance's observer
	withObserver.Observer = observer
	shipper, err := withObserver.Open(log, poster)
	if err != nil {
		in.unregister()
		return nil, err
	}
	in.shipper = shipper
	in.ready.Store(true) // Counts may now read the shipper: the hub may already be scraping
	in.normOpts = normOpts
	if cfg.Detection.On {
		// One engine for every flush: its stateful rules (bursts of denials, secret
		// harvesting) must see the instance's whole stream, and it is safe for concurrent use.
		in.normOpts.Detect = detect.New(cfg.Detection.Options)
		in.normOpts.DetectAlertsOnly = cfg.Detection.AlertsOnly
	}
	if cfg.KeepUnparsedText {
		log.Warnf("keep_unparsed_text is on: the text of records that cannot be read as events is shipped unredacted and unfiltered by the policy")
	}
	in.ctx, in.cancel = context.WithCancel(context.Background())
	in.scratch = freelist.New(maxIdleScratch, func() *scratch { return &scratch{norm: normalize.New(in.normOpts)} })
	if err := in.listen(); err != nil {
		_ = shipper.Close()
		in.unregister()
		return nil, err
	}
	in.startStats()
	return in, nil
}

// Flush reads, normalizes and delivers one chunk. See the package doc for the contract.
func (in *Instance) Flush(data []byte) Code {
	// A chunk Fluent Bit hands back after a Retry is not counted again. Nothing is hashed
	// while no chunk is in retry.
	var key chunkKey
	again := false
	now := time.Now().UnixNano()
	since := now
	if !in.retried.empty() {
		key = in.retried.key(data)
		var first int64
		if first, again = in.retried.has(key); again {
			since = first
		}
	}
	slot := in.pend.start(since)
	code := in.flush(data, again)
	switch {
	case code == Retry:
		if key == (chunkKey{}) {
			key = in.retried.key(data)
		}
		in.retried.add(key, since, now)
	case code != Retry && again:
		in.retried.drop(key)
	}
	in.pend.end(slot)
	return code
}

// flush does Flush's work; again says the chunk was answered Retry before, so its
// records and documents are already counted.
func (in *Instance) flush(data []byte, again bool) Code {
	sc := in.scratch.Get()
	defer in.release(sc)

	sc.docs.Reset()
	sc.reader.Reset(data, in.cfg.SourceKey)
	var records, pipelineErrors, dropped, redacted, redactedURI, redactedBody, salvaged, alerts uint64
	var rules [metrics.MaxRules]uint32 // alerts per rule index, added once the chunk is read
	for {
		at := sc.reader.Offset()
		rec, err := sc.reader.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			// The host built this chunk, so a malformed one is a host bug or memory damage:
			// ship what was readable and say loudly what was not, rather than drop it all.
			if !again {
				in.chunkErrors.Add(1)
			}
			in.log.Errorf("chunk unreadable after %d records (%v): the rest of the chunk (%d of %d bytes) is skipped", records, err, len(data)-at, len(data))
			break
		}
		records++
		for _, doc := range sc.norm.Normalize(rec.Body, rec.Time) {
			if doc.Error {
				pipelineErrors++
			}
			if doc.Redacted {
				redacted++
				if doc.RedactedIn&normalize.RedactedURI != 0 {
					redactedURI++
				}
				if doc.RedactedIn&normalize.RedactedBody != 0 {
					redactedBody++
				}
			}
			if doc.Salvaged {
				salvaged++
			}
			if doc.Alert {
				alerts++
				for m := doc.Rules; m != 0; m &= m - 1 {
					rules[bits.TrailingZeros64(m)]++
				}
			}
			sc.docs.Append(doc.JSON, deliver.Meta{AuditID: doc.AuditID, Stage: doc.Stage, Time: doc.Time, Error: doc.Error, Alert: doc.Alert, Observed: rec.Time})
		}
		if d := sc.norm.Dropped(); d != 0 {
			dropped += uint64(d)
			if !again {
				in.countDrops(sc.norm.DropReasons())
			}
		}
	}
	if !again {
		in.records.Add(records)
		in.pipelineErrors.Add(pipelineErrors)
		in.dropped.Add(dropped)
		in.redacted.Add(redacted)
		in.redactedIn[metrics.RedactedURI].Add(redactedURI)
		in.redactedIn[metrics.RedactedBody].Add(redactedBody)
		in.salvaged.Add(salvaged)
		in.alerts.Add(alerts)
		if alerts != 0 {
			for i, n := range rules {
				if n != 0 {
					in.ruleHits[i].Add(uint64(n))
				}
			}
		}
		in.documents.Add(uint64(sc.docs.Len()))
	}
	if sc.docs.Len() == 0 {
		return OK
	}
	if r := in.shipper.Deliver(in.ctx, &sc.docs); r != deliver.Failed {
		return r
	}
	// Failed: the intake rejected documents for good and writing them to the dead-letter
	// file failed too. FLB_ERROR would make Fluent Bit delete the chunk and lose them, so
	// the chunk is kept: the parts already accepted are not sent again on the retry, and
	// the dead-letter write gets another chance once the disk or path is fixed.
	in.log.Errorf("rejected documents could not be written to dead_letter_file: keeping the chunk for retry")
	return Retry
}

func (in *Instance) release(sc *scratch) {
	if sc.docs.Held() > maxPooledDocBytes {
		return
	}
	in.scratch.Put(sc)
}

// Close stops waits in progress, closes the sender and logs the instance's totals. It is
// safe to call more than once.
func (in *Instance) Close() error {
	var err error
	in.closeOnce.Do(func() {
		in.cancel()
		in.stopStats()
		err = in.shipper.Close()
		in.unregister()
		in.log.Infof("exit: %s", in.Summary())
	})
	return err
}

// Summary is a one-line account of what the instance has done.
func (in *Instance) Summary() string {
	s := in.shipper.Stats()
	return fmt.Sprintf("records=%d documents=%d pipeline_errors=%d salvaged=%d unreadable_chunks=%d policy_dropped=%d redacted=%d alerts=%d %s",
		in.records.Load(), in.documents.Load(), in.pipelineErrors.Load(), in.salvaged.Load(), in.chunkErrors.Load(), in.dropped.Load(), in.redacted.Load(), in.alerts.Load(), s)
}

// Logger is the instance's logger, for the shim's own lines.
func (in *Instance) Logger() *logging.Logger { return in.log }
