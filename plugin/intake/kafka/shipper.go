package kafka

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fastjson"

	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/k8saudit/k8saudit/plugin/logging"
)

// idHeader carries the event id when the record key is the object.
const idHeader = "k8saudit.id"

// Shipper produces the documents of each chunk to Kafka. One per [OUTPUT] instance: one
// kgo.Client, safe for concurrent Deliver calls (Fluent Bit workers).
type Shipper struct {
	o     Options
	cl    *kgo.Client
	log   deliver.Logger
	mem   *acked
	infl  *inflight
	pool  sync.Pool // *scratch
	stats counters
	dl    *deliver.DeadLetterFile // opened by the registry's Opener (intake.go); closed with the Shipper
}

type counters struct {
	delivered, deadLettered, requests, retries, skipped, bytesSent, bytesRaw atomic.Uint64
	deadBy                                                                   [deliver.NumDeadLetterReasons]atomic.Uint64
}

// scratch is one Deliver's working memory, pooled so that a warm flush allocates only
// what franz-go itself allocates per produce.
type scratch struct {
	recs  []kgo.Record
	hdrs  []kgo.RecordHeader
	doc   []int // document index of each record
	digs  []digest
	ok    []bool
	keys  []byte
	kends []int
	ids   []byte // event ids for the header (key object)
	iends []int
	vals  []byte // the documents, copied: a record may outlive the flush (inflight.go)
	vends []int
	prev  []digest // documents an earlier flush left in flight
	p     fastjson.Parser

	// Filled by the promise, from franz-go's goroutines.
	mu        sync.Mutex
	errs      []error
	got       []bool
	remaining int
	allDone   chan struct{}
}

func (sc *scratch) reset() {
	sc.recs, sc.hdrs = sc.recs[:0], sc.hdrs[:0]
	sc.doc, sc.digs, sc.ok = sc.doc[:0], sc.digs[:0], sc.ok[:0]
	sc.keys, sc.kends, sc.ids, sc.iends = sc.keys[:0], sc.kends[:0], sc.ids[:0], sc.iends[:0]
	sc.vals, sc.vends, sc.prev = sc.vals[:0], sc.vends[:0], sc.prev[:0]
	sc.errs, sc.got = sc.errs[:0], sc.got[:0]
}

// batchHook counts what reached the brokers, compressed and not.
type batchHook struct{ c *counters }

func (h batchHook) OnProduceBatchWritten(_ kgo.BrokerMetadata, _ string, _ int32, m kgo.ProduceBatchMetrics) {
	h.c.requests.Add(1)
	h.c.bytesSent.Add(uint64(m.CompressedBytes))
	h.c.bytesRaw.Add(uint64(m.UncompressedBytes))
}

// New checks the options and builds the client. It does not wait for a broker: a
// cluster down at start-up is a Retry at the first flush, not a failed Fluent Bit.
func New(o Options) (*Shipper, error) {
	if o.Logger == nil {
		o.Logger = logging.Discard()
	}
	if err := o.normalize(); err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	s := &Shipper{o: o, log: o.Logger, mem: newAcked(ackedEntries), infl: newInflight()}
	s.pool.New = func() any { return new(scratch) }
	opts, err := clientOpts(&s.o, batchHook{&s.stats})
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	if s.cl, err = kgo.NewClient(opts...); err != nil {
		return nil, fmt.Errorf("kafka: client: %w", err)
	}
	if o.TLS && !o.TLSVerify {
		s.log.Warnf("kafka: tls_verify is off: the brokers' certificates are not checked")
	}
	if o.SASLMechanism == "PLAIN" && !o.TLS && !allLoopback(o.Brokers) {
		s.log.Warnf("kafka: SASL PLAIN without tls: the password crosses the network in clear; set tls on or use SCRAM")
	}
	if o.Acks == "1" {
		s.log.Warnf("kafka: acks 1: idempotence is off, a retried record may be written twice and a leader failure may lose acknowledged records")
	}
	return s, nil
}

func allLoopback(brokers []string) bool {
	for _, b := range brokers {
		h, _, err := net.SplitHostPort(b)
		if err != nil {
			return false
		}
		if ip := net.ParseIP(h); h != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return false
		}
	}
	return true
}

// Deliver produces the chunk's documents and waits for their acknowledgement: Delivered
// when each was acknowledged (by every in-sync replica with acks all), was acknowledged
// by an earlier attempt of the same chunk, or was set aside as permanently refused;
// Retry when any is not acknowledged at the end of retry_budget (or ctx ends), those
// still in flight staying with the producer (inflight.go); Failed when a refused
// document could not be set aside (dead-letter error). Never Delivered before every
// record is acknowledged.
func (s *Shipper) Deliver(ctx context.Context, docs *deliver.Docs) deliver.Result {
	if docs == nil || docs.Len() == 0 {
		return deliver.Delivered
	}
	if ctx == nil {
		ctx = context.Background()
	}
	sc := s.pool.Get().(*scratch)
	sc.reset()
	failed := false
	n := docs.Len()
	for i := 0; i < n; i++ {
		doc := docs.Doc(i)
		d := docDigest(doc)
		if s.mem.has(d) {
			s.stats.skipped.Add(1)
			continue
		}
		if s.infl.has(d) {
			sc.prev = append(sc.prev, d) // not produced twice: wait for its answer
			continue
		}
		if len(doc) > s.o.MaxRecordBytes {
			failed = !s.setAside(doc, deliver.DeadTooLarge, "document of "+strconv.Itoa(len(doc))+" bytes is larger than max_record_bytes "+strconv.Itoa(s.o.MaxRecordBytes)) || failed
			s.mem.add(d) // settled: a retried chunk does not set it aside twice
			continue
		}
		s.build(sc, docs, i, d)
	}
	if len(sc.recs) == 0 && len(sc.prev) == 0 {
		s.pool.Put(sc)
		return result(failed, false)
	}
	start := time.Now()
	deadline := start.Add(s.o.RetryBudget)
	if s.o.Observer != nil && len(sc.recs) > 0 {
		s.o.Observer.RequestStarted()
	}
	abandoned := s.produce(ctx, sc, deadline)
	s.waitPrev(ctx, sc.prev, deadline)
	retry, left := 0, 0
	var firstErr, configErr error
	sc.mu.Lock()
	for j := range sc.recs {
		if !sc.got[j] {
			left++ // still in flight: franz-go keeps it, the promise settles it
			continue
		}
		err := sc.errs[j]
		if err == nil {
			sc.ok[j] = true
			continue
		}
		switch classify(err) {
		case vReject:
			failed = !s.setAside(docs.Doc(sc.doc[j]), refusal(err), "broker refused the record: "+err.Error()) || failed
			s.mem.add(sc.digs[j]) // settled: a retried chunk does not resend it
		case vConfig:
			configErr = err
			retry++
		default:
			if firstErr == nil {
				firstErr = err
			}
			retry++
		}
	}
	sc.mu.Unlock()
	waiting := 0
	for _, d := range sc.prev {
		if !s.mem.has(d) {
			waiting++
		}
	}
	retry += left + waiting
	var pingErr error
	if configErr == nil && retry > 0 && (firstErr == nil || errors.Is(firstErr, context.DeadlineExceeded)) {
		configErr, pingErr = s.diagnose(ctx)
	}
	total := len(sc.recs) + len(sc.prev)
	if configErr != nil {
		s.log.Errorf("kafka: %d of %d records not produced: %v: %s; the chunk is kept (Retry)", retry, total, configErr, likelyCause(configErr))
	} else if retry > 0 {
		why := fmt.Sprint(firstErr)
		if firstErr == nil {
			why = "no answer yet"
		}
		if pingErr != nil {
			why += "; a new connection to a broker: " + pingErr.Error()
		}
		s.log.Warnf("kafka: %d of %d records not acknowledged within retry_budget %s (%s; %d still in flight, kept by the producer and not produced again); the chunk is kept (Retry)", retry, total, s.o.RetryBudget, why, left+waiting)
	}
	if retry > 0 {
		s.stats.retries.Add(uint64(retry))
	}
	if s.o.Observer != nil && len(sc.recs) > 0 {
		// One "request" per flush: 2xx when every record was acknowledged (or set
		// aside), "error" (0) when the chunk goes back.
		status := 200
		if retry > 0 {
			status = 0
		}
		s.o.Observer.RequestDone(status, len(sc.recs), time.Since(start))
	}
	if !abandoned {
		s.pool.Put(sc) // franz-go holds none of its records any more
	}
	return result(failed, retry > 0)
}

// produce hands the records to franz-go and waits for their answers, at most
// retry_budget and then a short grace in which franz-go fails what it safely can (the
// batches not sent). Records still without an answer then are left in flight
// (inflight.go): abandoned reports it, and the scratch must not be reused.
func (s *Shipper) produce(ctx context.Context, sc *scratch, deadline time.Time) (abandoned bool) {
	if len(sc.recs) == 0 {
		return false
	}
	sc.finish()
	sc.remaining = len(sc.recs)
	sc.allDone = make(chan struct{})
	for _, d := range sc.digs {
		s.infl.add(d)
	}
	promise := func(r *kgo.Record, err error) {
		j := sc.index(r)
		if err == nil && s.mem.add(sc.digs[j]) {
			s.stats.delivered.Add(1)
		}
		s.infl.done(sc.digs[j])
		sc.mu.Lock()
		sc.errs[j], sc.got[j] = err, true
		sc.remaining--
		last := sc.remaining == 0
		sc.mu.Unlock()
		if last {
			close(sc.allDone)
		}
	}
	pctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	for j := range sc.recs {
		s.cl.Produce(pctx, &sc.recs[j], promise)
	}
	select {
	case <-sc.allDone:
		return false
	case <-pctx.Done():
	}
	grace := time.NewTimer(graceAfterBudget)
	defer grace.Stop()
	select {
	case <-sc.allDone:
		return false
	case <-grace.C:
		return true
	}
}

// waitPrev waits, until deadline, for the documents an earlier flush left in flight to
// settle (acknowledged, or failed and so free to be produced by the next retry).
func (s *Shipper) waitPrev(ctx context.Context, prev []digest, deadline time.Time) {
	if len(prev) == 0 {
		return
	}
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		pending := false
		for _, d := range prev {
			if s.infl.has(d) {
				pending = true
				break
			}
		}
		if !pending || time.Now().After(deadline) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// graceAfterBudget is how long a flush waits, once its budget is spent, for franz-go to
// fail the records it safely can (not sent yet) before leaving the rest in flight.
const graceAfterBudget = 500 * time.Millisecond

// diagnose asks a broker why nothing was acknowledged when the records only timed out:
// a refused SASL credential or a TLS failure shows up on a fresh connection, not in the
// records' errors. It returns that error when it is configuration, else nil. At most one
// second, and only on the Retry path.
// The second result is any other error of that connection, for the warning.
func (s *Shipper) diagnose(ctx context.Context) (config, other error) {
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	err := s.cl.Ping(pctx)
	if err != nil && (classify(err) == vConfig || isTLSError(err)) {
		return err, nil
	}
	return nil, err
}

func isTLSError(err error) bool {
	var rec tls.RecordHeaderError
	var cv *tls.CertificateVerificationError
	return errors.As(err, &rec) || errors.As(err, &cv)
}

// result: Retry wins (Fluent Bit calls again and may still set the rest aside), then
// Failed (a refused document could not be set aside), then Delivered.
func result(failed, retry bool) deliver.Result {
	switch {
	case retry:
		return deliver.Retry
	case failed:
		return deliver.Failed
	}
	return deliver.Delivered
}

// build appends the record of document i: its topic by event.kind, its key, and in key
// mode object the event id as a header.
func (s *Shipper) build(sc *scratch, docs *deliver.Docs, i int, d digest) {
	doc := docs.Doc(i)
	topic := s.o.Topic
	if s.o.TopicAlerts != "" || s.o.TopicErrors != "" {
		switch string(eventKind(doc)) {
		case "alert":
			if s.o.TopicAlerts != "" {
				topic = s.o.TopicAlerts
			}
		case "pipeline_error":
			if s.o.TopicErrors != "" {
				topic = s.o.TopicErrors
			}
		}
	}
	if s.o.KeyMode == KeyObject {
		var ok bool
		if sc.keys, ok = appendObjectKey(sc.keys, &sc.p, doc); !ok {
			sc.keys = appendEventID(sc.keys, docs.Key(i), d) // no object: spread by event
		}
		sc.ids = appendEventID(sc.ids, docs.Key(i), d)
		sc.iends = append(sc.iends, len(sc.ids))
	} else {
		sc.keys = appendEventID(sc.keys, docs.Key(i), d)
	}
	sc.kends = append(sc.kends, len(sc.keys))
	sc.vals = append(sc.vals, doc...)
	sc.vends = append(sc.vends, len(sc.vals))
	sc.recs = append(sc.recs, kgo.Record{Topic: topic})
	sc.doc = append(sc.doc, i)
	sc.digs = append(sc.digs, d)
	sc.ok = append(sc.ok, false)
}

// index returns the position of r in sc.recs. ProduceSync answers in completion order,
// not in the order given, so each result is mapped back by its address in the slab.
func (sc *scratch) index(r *kgo.Record) int {
	base := uintptr(unsafe.Pointer(unsafe.SliceData(sc.recs)))
	j := int((uintptr(unsafe.Pointer(r)) - base) / unsafe.Sizeof(kgo.Record{}))
	if j < 0 || j >= len(sc.recs) || &sc.recs[j] != r {
		panic("kafka: a produce result for a record not of this flush")
	}
	return j
}

// finish points the records at their keys and headers, now that the buffers no longer grow.
func (sc *scratch) finish() {
	start, istart, vstart := 0, 0, 0
	for j := range sc.recs {
		r := &sc.recs[j]
		r.Key = sc.keys[start:sc.kends[j]:sc.kends[j]]
		start = sc.kends[j]
		r.Value = sc.vals[vstart:sc.vends[j]:sc.vends[j]]
		vstart = sc.vends[j]
		if len(sc.iends) > 0 {
			sc.hdrs = append(sc.hdrs, kgo.RecordHeader{Key: idHeader, Value: sc.ids[istart:sc.iends[j]:sc.iends[j]]})
			istart = sc.iends[j]
		}
	}
	for j := range sc.recs {
		if len(sc.hdrs) > 0 {
			sc.recs[j].Headers = sc.hdrs[j : j+1 : j+1]
		}
		sc.errs = append(sc.errs, nil)
		sc.got = append(sc.got, false)
	}
}

// setAside hands a permanently refused document to the dead-letter hook, or logs it
// (size and reason, never the content) and counts it. false: the hook failed.
func (s *Shipper) setAside(doc []byte, why deliver.DeadLetterReason, reason string) bool {
	s.stats.deadLettered.Add(1)
	s.stats.deadBy[why].Add(1)
	if s.o.DeadLetter != nil {
		if err := s.o.DeadLetter(doc, reason); err != nil {
			s.log.Errorf("kafka: a refused document (%s) could not be set aside: %v", reason, err)
			return false
		}
		s.log.Warnf("kafka: a document was refused and dead-lettered: %s", reason)
		return true
	}
	s.log.Warnf("kafka: a document of %d bytes was refused and dropped (no dead-letter file): %s", len(doc), reason)
	return true
}

// Stats returns a snapshot of the counters, in the HTTP intakes' terms: Delivered =
// records acknowledged, Requests = record batches written, Retries = records handed
// back unacknowledged, Skipped = SkippedDocs = documents not produced again because an
// earlier attempt had them acknowledged, BytesRaw/BytesSent = batch bytes before and
// after compression.
func (s *Shipper) Stats() deliver.Stats {
	c := &s.stats
	sk := c.skipped.Load()
	return deliver.Stats{
		Delivered:    c.delivered.Load(),
		DeadLettered: c.deadLettered.Load(),
		DeadLetteredBy: func() (by [deliver.NumDeadLetterReasons]uint64) {
			for i := range by {
				by[i] = c.deadBy[i].Load()
			}
			return by
		}(),
		Requests:    c.requests.Load(),
		Retries:     c.retries.Load(),
		Skipped:     sk,
		SkippedDocs: sk,
		BytesSent:   c.bytesSent.Load(),
		BytesRaw:    c.bytesRaw.Load(),
	}
}

// ForgetDelivered clears the memory of acknowledged documents, so that benchmarks can
// produce the same chunk again; the plugin never calls it.
func (s *Shipper) ForgetDelivered() { s.mem.reset() }

// Close flushes nothing (Deliver never leaves records behind) and closes the client.
// Deliver must not be running or called afterwards.
func (s *Shipper) Close() error {
	s.cl.Close()
	if s.dl != nil {
		return s.dl.Close()
	}
	return nil
}
