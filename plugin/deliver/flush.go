package deliver

import (
	"context"
	"time"
)

// outcome is how a batch (or a split part of one) ended.
type outcome uint8

const (
	outDone   outcome = iota // accepted, already done, or set aside in the dead-letter file
	outFailed                // rejected and the dead-letter write failed: go on, the chunk ends Failed
	outStop                  // retryable failure left, credential refused, or cancelled: stop, the chunk ends Retry
)

// flush is the state of one Deliver call. It lives on Deliver's stack.
type flush struct {
	s     *Sender
	ctx   context.Context
	docs  *Docs
	sc    *scratch
	spent time.Duration // retry time used so far, against Options.RetryBudget
}

func (f *flush) run() Result {
	s := f.s
	failed := false
	for start := 0; start < f.docs.Len(); {
		end := nextBatch(s.fr, f.docs, start, s.o.BatchBytes, s.o.BatchEvents)
		switch f.send(start, end) {
		case outStop:
			// The rest of the chunk waits for Fluent Bit's retry: the intake is not
			// taking requests now, and each further batch would spend its own timeout.
			return Retry
		case outFailed:
			failed = true
		}
		start = end
	}
	if failed {
		return Failed
	}
	return Delivered
}

// send delivers documents [i, j) as one request, splitting on 413.
func (f *flush) send(i, j int) outcome {
	s := f.s
	f.sc.body = frame(f.sc.body[:0], s.fr, f.docs, i, j)
	body := f.sc.body
	h := s.mem.hash(body)
	if s.mem.has(h) {
		s.stats.skipped.Add(1)
		s.stats.skippedDocs.Add(uint64(j - i))
		return outDone
	}
	a, v := f.post(body)
	switch v {
	case vDelivered:
		s.stats.delivered.Add(uint64(j - i))
		s.mem.add(h)
		return outDone
	case vSplit:
		if j-i == 1 {
			return f.reject(h, i, j, a, reasonFor("too large: the intake refused this document alone with ", a))
		}
		// Halves, not a size guess: the intake's limit is unknown, and halving finds it
		// in log2(n) rounds while keeping the order of the documents.
		mid := i + (j-i)/2
		s.log.Debugf("intake answered 413 for %d documents (%d bytes): splitting", j-i, len(body))
		r1 := f.send(i, mid)
		if r1 == outStop {
			return outStop
		}
		r2 := f.send(mid, j)
		if r2 == outStop {
			return outStop
		}
		if r1 == outDone && r2 == outDone {
			s.mem.add(h) // a retried chunk then skips the whole batch without a 413 round
			return outDone
		}
		return outFailed
	case vReject:
		return f.reject(h, i, j, a, reasonFor("", a))
	case vAuth:
		s.log.Errorf("CREDENTIAL REJECTED by the intake (HTTP %d): check api_key, http_user, http_passwd; nothing is dropped, the chunk is kept for retry (answer: %s)", a.Status, reasonFor("", a))
		return outStop
	case vConfig:
		if a.Err != nil {
			s.log.Errorf("cannot reach the intake securely: %v; check url, tls_ca_file, tls_server_name, tls_verify; the chunk is kept for retry", a.Err)
		} else {
			s.log.Errorf("the intake answered a redirect (HTTP %d): set url to the final endpoint; the chunk is kept for retry", a.Status)
		}
		return outStop
	}
	return outStop // vRetry after the budget, or cancelled
}

// post sends one body, retrying retryable answers within the flush's budget. It returns
// the last answer and its verdict; vRetry means the retries are over.
func (f *flush) post(body []byte) (Answer, verdict) {
	s := f.s
	payload, enc := body, ""
	if s.o.Compress {
		z, err := s.pool.gzip(f.sc, body)
		if err != nil { // cannot happen with an in-memory sink; do not drop anything if it does
			s.log.Errorf("gzip: %v", err)
			return Answer{Err: err}, vRetry
		}
		payload, enc = z, "gzip"
	}
	var failStart time.Time
	for attempt := 0; ; attempt++ {
		if f.ctx.Err() != nil {
			return Answer{Err: f.ctx.Err()}, vRetry
		}
		a := s.poster.Post(f.ctx, payload, enc)
		s.stats.requests.Add(1)
		s.stats.bytesSent.Add(uint64(len(payload)))
		s.stats.bytesRaw.Add(uint64(len(body)))
		v := classify(a)
		if attempt == 0 && v != vRetry {
			return a, v
		}
		if attempt == 0 {
			failStart = time.Now()
		}
		if v != vRetry {
			f.spent += time.Since(failStart)
			return a, v
		}
		if f.ctx.Err() != nil || !s.inFlush {
			f.spent += time.Since(failStart)
			f.giveUp(a, attempt+1)
			return a, vRetry
		}
		wait := backoff(attempt, s.o.BackoffInitial, s.o.BackoffMax)
		if a.RetryAfter > 0 {
			wait = a.RetryAfter // the intake knows best when it will take requests again
		}
		used := f.spent + time.Since(failStart)
		if wait > s.o.RetryBudget-used {
			f.spent = used
			f.giveUp(a, attempt+1)
			return a, vRetry
		}
		s.log.Debugf("intake %s: retrying in %s", describe(a), wait)
		if !sleep(f.ctx, wait) {
			f.spent += time.Since(failStart)
			return Answer{Err: f.ctx.Err()}, vRetry
		}
		s.stats.retries.Add(1)
	}
}

func (f *flush) giveUp(a Answer, attempts int) {
	f.s.log.Warnf("intake %s after %d attempt(s); the chunk goes back to Fluent Bit for a later retry", describe(a), attempts)
}

// reject sets documents [i, j) aside: into the dead-letter file, or only logged and
// counted without one.
func (f *flush) reject(h uint64, i, j int, a Answer, reason string) outcome {
	s := f.s
	n := j - i
	if s.dl == nil {
		s.log.Warnf("intake rejected %d document(s) permanently (%s); no dead_letter_file: they are dropped", n, reason)
		s.stats.deadLettered.Add(uint64(n))
		s.mem.add(h)
		return outDone
	}
	f.sc.dl = appendDeadLetter(f.sc.dl[:0], f.docs, i, j, time.Now(), reason, a.Status)
	if err := s.dl.write(f.sc.dl); err != nil {
		s.log.Errorf("intake rejected %d document(s) permanently (%s) and writing them to dead_letter_file %s failed: %v", n, reason, s.dl.path, err)
		return outFailed
	}
	s.log.Warnf("intake rejected %d document(s) permanently (%s); written to %s", n, reason, s.dl.path)
	s.stats.deadLettered.Add(uint64(n))
	s.mem.add(h)
	return outDone
}

// describe is an answer in a few words for the logs.
func describe(a Answer) string {
	if a.Err != nil {
		return "unavailable (" + a.Err.Error() + ")"
	}
	return "answered " + reasonFor("HTTP ", a)
}
