package deliver

import (
	"context"
	"strconv"
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
//
// A request is a selection of documents (indices into docs, in chunk order): a batch as
// cut by nextBatch, a half of a batch refused with 413, or the documents of a per-item
// answer that are still to be sent. done[k] says document k is settled (accepted or set
// aside) in this call or an earlier one of the same chunk.
type flush struct {
	s          *Sender
	ctx        context.Context
	docs       *Docs
	sc         *scratch
	body       []byte        // the body framed last (frameBody): the scratch's buffer or a slice of docs
	spent      time.Duration // retry time used so far, against Options.RetryBudget
	itemRounds int           // per-item retry rounds so far (backoff exponent)
}

func (f *flush) run() Result {
	s := f.s
	n := f.docs.Len()
	f.sc.idx = f.sc.idx[:0]
	f.sc.done = append(f.sc.done[:0], make([]bool, n)...)
	maxDoc := s.lim.MaxDocBytes
	failed := false
	for start := 0; start < n; {
		var r outcome
		end := start + 1
		if why := s.refused(f.docs, start); why != "" {
			r = f.setAsideAlone(start, DeadRefused, why)
		} else if maxDoc > 0 && s.in.fr.DocLen(f.docs, start, true) > maxDoc {
			r = f.tooBig(start, maxDoc)
		} else {
			end = nextBatch(s.in.fr, f.docs, start, s.o.BatchBytes, s.o.BatchEvents, maxDoc, s.in.refuse)
			r = f.send(f.span(start, end))
		}
		switch r {
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

// span returns the selection [i, j), stored in the scratch's index arena.
func (f *flush) span(i, j int) []int32 {
	at := len(f.sc.idx)
	for k := i; k < j; k++ {
		f.sc.idx = append(f.sc.idx, int32(k))
	}
	return f.sc.idx[at:]
}

// frameBody sets f.body to the body of sel: for NDJSON and a run of documents in order
// (every batch, and the halves of a split one) the documents as Docs holds them, which
// are that body already (Docs.Lines: no copy, and no body buffer held between flushes);
// otherwise sel framed into the scratch's body buffer.
func (f *flush) frameBody(sel []int32) {
	if _, ok := f.s.in.fr.(ndjsonFraming); ok && consecutive(sel) {
		f.body = f.docs.Lines(int(sel[0]), int(sel[len(sel)-1])+1)
		return
	}
	f.sc.body = frame(f.sc.body[:0], f.s.in.fr, f.docs, sel)
	f.body = f.sc.body
}

// consecutive reports whether sel is a non-empty run of consecutive documents in order.
func consecutive(sel []int32) bool {
	for p := 1; p < len(sel); p++ {
		if sel[p] != sel[p-1]+1 {
			return false
		}
	}
	return len(sel) > 0
}

// frameHash frames sel (f.body) and returns the body's key.
func (f *flush) frameHash(sel []int32) bodyKey {
	f.frameBody(sel)
	f.sc.zipped = nil
	return f.s.mem.sum(&f.sc.tag, f.body)
}

// frameZipHash is frameHash for a body about to be sent: with gzip on, the body is
// compressed here, once (post sends these bytes), and the key is the hash of the
// compressed bytes, which are 3 to 5 times fewer than the body's. It keys the same
// requests: gzip at the Sender's one level is deterministic and lossless, so two bodies
// compress to the same bytes exactly when they are the same. A duplicate is then found
// after its gzip rather than before, which costs only the rare chunk sent twice.
func (f *flush) frameZipHash(sel []int32) bodyKey {
	f.frameBody(sel)
	f.sc.zipped = nil
	if !f.s.o.Compress {
		return f.s.mem.sum(&f.sc.tag, f.body)
	}
	z, err := f.s.pool.gzip(f.sc, f.body)
	if err != nil { // cannot happen with an in-memory sink; post compresses again and says so
		return f.s.mem.sum(&f.sc.tag, f.body)
	}
	f.sc.zipped = z
	return f.s.mem.sum(&f.sc.tag, z)
}

func (f *flush) markDone(sel []int32) {
	for _, k := range sel {
		f.sc.done[k] = true
	}
}

// send delivers the documents of sel as one request, unless the same body is already
// done; a body partly done by an earlier call sends only its rest.
func (f *flush) send(sel []int32) outcome {
	s := f.s
	h := f.frameZipHash(sel)
	if s.mem.has(h) {
		f.markDone(sel)
		s.stats.skipped.Add(1)
		s.stats.skippedDocs.Add(uint64(len(sel)))
		// Said at info level: skipping is right for a chunk Fluent Bit hands back, but the
		// same body can also come from the same events read twice (two inputs, a re-read
		// file), and a user counting events deserves to see where some went.
		s.log.Infof("%d document(s) not sent again: the intake already accepted an identical request", len(sel))
		return outDone
	}
	var r outcome
	if bits, ok := s.prog.load(h, f.sc.bits[:0]); ok && len(bits)*64 >= len(sel) {
		f.sc.bits = bits
		at := len(f.sc.idx)
		for p, k := range sel {
			if bits[p/64]&(1<<(p%64)) != 0 {
				f.sc.done[k] = true
			} else {
				f.sc.idx = append(f.sc.idx, k)
			}
		}
		rest := f.sc.idx[at:]
		s.stats.skippedDocs.Add(uint64(len(sel) - len(rest)))
		r = outDone
		if len(rest) > 0 {
			r = f.send(rest)
		}
	} else {
		r = f.attempt(sel, f.body)
	}
	f.record(h, sel)
	return r
}

// record remembers how far sel got: a body whose documents are all done is skipped next
// time; one partly done is resumed from its rest.
func (f *flush) record(h bodyKey, sel []int32) {
	s := f.s
	done := 0
	for _, k := range sel {
		if f.sc.done[k] {
			done++
		}
	}
	switch {
	case done == len(sel):
		s.mem.add(h)
		s.prog.drop(h)
	case done > 0:
		bits := f.sc.bits[:0]
		for w := 0; w < (len(sel)+63)/64; w++ {
			bits = append(bits, 0)
		}
		for p, k := range sel {
			if f.sc.done[k] {
				bits[p/64] |= 1 << (p % 64)
			}
		}
		f.sc.bits = bits
		s.prog.store(h, bits)
	}
}

// attempt sends body (the framing of sel) and acts on the answer.
func (f *flush) attempt(sel []int32, body []byte) outcome {
	s := f.s
	n := len(sel)
	a, v := f.post(body, n)
	switch v {
	case vDelivered:
		f.markDone(sel)
		s.stats.delivered.Add(uint64(n))
		f.partial(n, a)
		return outDone
	case vItems:
		return f.items(sel, a)
	case vSplit:
		if n == 1 {
			return f.reject(sel, a, DeadTooLarge, s.scrub.clean(reasonFor("too large: the intake refused this document alone with ", a)))
		}
		// Halves, not a size guess: the intake's limit is unknown, and halving finds it
		// in log2(n) rounds while keeping the order of the documents.
		s.log.Debugf("intake answered 413 for %d documents (%d bytes): splitting", n, len(body))
		mid := n / 2
		r1 := f.send(sel[:mid])
		if r1 == outStop {
			return outStop
		}
		r2 := f.send(sel[mid:])
		if r2 == outStop {
			return outStop
		}
		if r1 == outDone && r2 == outDone {
			return outDone
		}
		return outFailed
	case vReject:
		return f.reject(sel, a, DeadRefused, s.scrub.clean(reasonFor("", a)))
	case vAuth, vConfig:
		f.configError(a, v)
		return outStop
	}
	return outStop // vRetry after the budget, or cancelled
}

// items acts on a per-item answer to sel: fates[p] is the fate of document sel[p].
// Settled documents are counted, rejected ones dead-lettered with their own reason, and
// the rest is sent again as a request of its own (after a backoff when the intake asked
// for a retry, at once for documents it did not look at).
func (f *flush) items(sel []int32, a Answer) outcome {
	s := f.s
	fates := f.sc.fates[:len(sel)]
	var delivered, already, rejected int
	wait, auth := false, -1
	at := len(f.sc.idx)
	for p, k := range sel {
		switch fates[p].fate {
		case fDone:
			f.sc.done[k] = true
			delivered++
		case fAlready:
			f.sc.done[k] = true
			delivered++
			already++
		case fRetry:
			f.sc.idx = append(f.sc.idx, k)
			wait = true
		case fResend:
			f.sc.idx = append(f.sc.idx, k)
		case fReject:
			rejected++
		case fAuth:
			if auth < 0 {
				auth = p
			}
		}
	}
	rest := f.sc.idx[at:]
	s.stats.delivered.Add(uint64(delivered))
	s.stats.already.Add(uint64(already))
	failed := false
	if rejected > 0 {
		now := time.Now()
		f.sc.dl = f.sc.dl[:0]
		first := ""
		for p, k := range sel {
			if fates[p].fate == fReject {
				reason := s.scrub.clean(fates[p].reason)
				f.sc.dl = appendDeadLetter(f.sc.dl, f.docs.Doc(int(k)), now, reason, fates[p].status)
				if first == "" {
					first = reason
				}
			}
		}
		if f.setAside(rejected, DeadRefusedItem, first, f.sc.dl) {
			for p, k := range sel {
				if fates[p].fate == fReject {
					f.sc.done[k] = true
				}
			}
		} else {
			failed = true
		}
	}
	if auth >= 0 {
		st := fates[auth].status
		what := "PERMISSION REFUSED"
		if st == 404 || st == 405 {
			what = "CONFIGURATION ERROR"
		}
		s.log.Errorf("%s: intake %s refused some documents with HTTP %d (%s): %s; nothing is dropped, the chunk is kept for retry",
			what, s.o.Intake, st, s.scrub.clean(fates[auth].reason), likelyCause(st))
		return outStop
	}
	if len(rest) == 0 {
		if failed {
			return outFailed
		}
		return outDone
	}
	if wait {
		d := backoff(f.itemRounds, s.o.BackoffInitial, s.o.BackoffMax)
		f.itemRounds++
		if a.RetryAfter > 0 {
			d = a.RetryAfter
		}
		if !s.inFlush || d > s.o.RetryBudget-f.spent {
			s.log.Warnf("intake asked to retry %d of %d documents; the chunk goes back to Fluent Bit for a later retry", len(rest), len(sel))
			return outStop
		}
		s.log.Debugf("intake asked to retry %d of %d documents: retrying them in %s", len(rest), len(sel), d)
		if !sleep(f.ctx, d) {
			return outStop
		}
		f.spent += d
		s.stats.retries.Add(1)
	}
	r := f.send(rest)
	if r == outDone && failed {
		return outFailed
	}
	return r
}

// post sends one body, retrying retryable answers within the flush's budget. It returns
// the last answer and its verdict; vRetry means the retries are over. For intakes that
// answer per item, vItems means the scratch's fates hold one fate per document.
func (f *flush) post(body []byte, n int) (Answer, verdict) {
	s := f.s
	payload, enc := body, ""
	if s.o.Compress {
		z, err := f.sc.zipped, error(nil) // body compressed by frameZipHash
		f.sc.zipped = nil                 // for this post only
		if z == nil {
			z, err = s.pool.gzip(f.sc, body)
		}
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
		var sent time.Time
		if s.o.Observer != nil {
			s.o.Observer.RequestStarted()
			sent = time.Now()
		}
		a := s.poster.Post(f.ctx, payload, enc)
		if s.o.Observer != nil {
			s.o.Observer.RequestDone(a.Status, n, time.Since(sent))
		}
		s.stats.requests.Add(1)
		s.stats.bytesSent.Add(uint64(len(payload)))
		s.stats.bytesRaw.Add(uint64(len(body)))
		v := classify(a)
		if v == vRetry && a.Err == nil && s.in.retryable != nil && !s.in.retryable(a.Status) {
			v = vReject // the intake's protocol forbids retrying this status (OTLP: only 429, 502, 503, 504)
		}
		if s.in.items != nil {
			f.sc.fates = append(f.sc.fates[:0], make([]itemFate, n)...)
			v = s.in.items(a, v, f.sc.fates)
		}
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
		s.log.Debugf("intake %s: retrying in %s", f.describe(a), wait)
		if !sleep(f.ctx, wait) {
			f.spent += time.Since(failStart)
			return Answer{Err: f.ctx.Err()}, vRetry
		}
		s.stats.retries.Add(1)
	}
}

func (f *flush) giveUp(a Answer, attempts int) {
	f.s.log.Warnf("intake %s after %d attempt(s); the chunk goes back to Fluent Bit for a later retry", f.describe(a), attempts)
}

// configError says, in one error line, that an answer shows a configuration problem
// (credential, path, proxy, redirect, TLS) and that nothing is dropped: the chunk goes
// back to Fluent Bit, whose retries resend it once the configuration is fixed.
func (f *flush) configError(a Answer, v verdict) {
	s := f.s
	const kept = "nothing is dropped, the chunk is kept for retry"
	switch {
	case a.Err != nil:
		s.log.Errorf("intake %s cannot be reached securely (%s): check url, tls_ca_file, tls_server_name, tls_verify; %s",
			s.o.Intake, s.scrub.clean(a.Err.Error()), kept)
	case v == vAuth && (a.Status == 401 || a.Status == 403):
		s.log.Errorf("CREDENTIAL REJECTED: intake %s answered HTTP %d: %s; %s (answer: %s)",
			s.o.Intake, a.Status, likelyCause(a.Status), kept, s.scrub.clean(reasonFor("", a)))
	default:
		s.log.Errorf("CONFIGURATION ERROR: intake %s answered HTTP %d: %s; %s (answer: %s)",
			s.o.Intake, a.Status, likelyCause(a.Status), kept, s.scrub.clean(reasonFor("", a)))
	}
}

// reject sets the documents of sel aside with one reason: into the dead-letter file, or
// only logged and counted without one.
func (f *flush) reject(sel []int32, a Answer, why DeadLetterReason, reason string) outcome {
	now := time.Now()
	f.sc.dl = f.sc.dl[:0]
	for _, k := range sel {
		f.sc.dl = appendDeadLetter(f.sc.dl, f.docs.Doc(int(k)), now, reason, a.Status)
	}
	if !f.setAside(len(sel), why, reason, f.sc.dl) {
		return outFailed
	}
	f.markDone(sel)
	return outDone
}

// tooBig sets aside document k, which is larger than the intake takes per event: it is
// never sent (the intake would truncate or drop it).
func (f *flush) tooBig(k, maxDoc int) outcome {
	size := f.s.in.fr.DocLen(f.docs, k, true)
	return f.setAsideAlone(k, DeadTooLarge, "not sent: the document is "+strconv.Itoa(size)+" bytes as framed, above the "+
		strconv.Itoa(maxDoc)+" bytes intake "+f.s.o.Intake+" takes per event")
}

// setAsideAlone sets aside document k, never sent, for why; a chunk retried later does
// not set it aside twice.
func (f *flush) setAsideAlone(k int, why DeadLetterReason, reason string) outcome {
	s := f.s
	sel := f.span(k, k+1)
	h := f.frameHash(sel)
	if s.mem.has(h) {
		f.markDone(sel)
		s.stats.skipped.Add(1)
		s.stats.skippedDocs.Add(1)
		return outDone
	}
	r := f.reject(sel, Answer{}, why, reason)
	f.record(h, sel)
	return r
}

// setAside writes n documents' dead-letter lines (or, without a dead-letter file, logs
// and counts them). It reports whether they are set aside.
func (f *flush) setAside(n int, why DeadLetterReason, reason string, lines []byte) bool {
	s := f.s
	if s.dl == nil {
		s.log.Warnf("intake rejected %d document(s) permanently (%s); no dead_letter_file: they are dropped", n, reason)
		s.stats.deadLetter(why, n)
		return true
	}
	if err := s.dl.write(lines); err != nil {
		s.log.Errorf("intake rejected %d document(s) permanently (%s) and writing them to dead_letter_file %s failed: %v", n, reason, s.dl.path, err)
		return false
	}
	s.log.Warnf("intake rejected %d document(s) permanently (%s); written to %s", n, reason, s.dl.path)
	s.stats.deadLetter(why, n)
	return true
}

// describe is an answer in a few words for the logs, without secrets.
func (f *flush) describe(a Answer) string {
	if a.Err != nil {
		return "unavailable (" + f.s.scrub.clean(a.Err.Error()) + ")"
	}
	return "answered " + f.s.scrub.clean(reasonFor("HTTP ", a))
}

// partial reads an accepted answer for documents the intake dropped all the same (an
// intake's Wire.Answer: OTLP partial success), counts and logs them. Nothing is resent:
// the intake does not say which documents, and OTLP forbids retrying them.
func (f *flush) partial(n int, a Answer) {
	s := f.s
	if s.in.answer == nil || len(a.Body) == 0 {
		return
	}
	rejected, msg := s.in.answer(a.Body)
	if rejected <= 0 && msg == "" {
		return
	}
	rejected = min(max(rejected, 0), n)
	s.stats.partialRejected.Add(uint64(rejected))
	s.log.Warnf("intake %s accepted a request of %d documents but dropped %d of them: %s", s.in.name, n, rejected, s.scrub.clean(msg))
}
