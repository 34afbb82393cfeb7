package kafka

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/k8saudit/k8saudit/plugin/deliver"
)

// A clean chunk: Delivered only once every record is acknowledged, each event read back
// exactly once under its event id; delivering the same chunk again produces nothing.
func TestDeliverOnce(t *testing.T) {
	tg := newTarget(t)
	s := newShipper(t, tg.options(Options{}))
	d := chunk(t, "once", 500)
	if r := s.Deliver(context.Background(), d); r != deliver.Delivered {
		t.Fatalf("Deliver = %v", r)
	}
	st := s.Stats()
	if st.Delivered != 500 || st.Requests == 0 || st.BytesSent == 0 || st.BytesSent >= st.BytesRaw {
		t.Fatalf("stats %v: want 500 delivered, batches written, zstd smaller than raw", st)
	}
	if r := s.Deliver(context.Background(), d); r != deliver.Delivered {
		t.Fatalf("second Deliver = %v", r)
	}
	if st := s.Stats(); st.Skipped != 500 || st.Delivered != 500 {
		t.Fatalf("the same chunk again: stats %v, want 500 skipped and nothing produced", st)
	}
	assertOnce(t, consumeAll(t, tg, tg.topic, 500), d)
}

// Fluent Bit workers: several flushes at once on one Shipper.
func TestConcurrentDeliverOnce(t *testing.T) {
	tg := newTarget(t)
	s := newShipper(t, tg.options(Options{}))
	const workers, per = 4, 300
	chunks := make([]*deliver.Docs, workers)
	for w := range chunks {
		chunks[w] = chunk(t, "w"+string(rune('a'+w)), per)
	}
	var wg sync.WaitGroup
	res := make([]deliver.Result, workers)
	for w := range chunks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[w] = s.Deliver(context.Background(), chunks[w])
		}()
	}
	wg.Wait()
	for w, r := range res {
		if r != deliver.Delivered {
			t.Fatalf("worker %d: %v", w, r)
		}
	}
	assertOnce(t, consumeAll(t, tg, tg.topic, workers*per), chunks...)
}

// The leaders of every partition move to another broker while the chunk is being
// produced: the records sent to the old leader are answered NOT_LEADER_FOR_PARTITION
// and go again to the new one, inside the flush. Delivered, every event once.
func TestLeaderChangeMidChunk(t *testing.T) {
	c := newFake(t)
	var produces atomic.Int32
	moved := make(chan struct{})
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if produces.Add(1) == 1 {
			// Runs after this request: admin work queues behind the control.
			go func() {
				for p := int32(0); p < 3; p++ {
					l := c.LeaderFor(DefaultTopic, p)
					_ = c.MoveTopicPartition(DefaultTopic, p, (l+1)%3)
				}
				close(moved)
			}()
		}
		return nil, nil, false
	})
	leaders := func() (l [3]int32) {
		for p := range l {
			l[p] = c.LeaderFor(DefaultTopic, int32(p))
		}
		return l
	}
	before := leaders()
	s := newShipper(t, Options{Brokers: c.ListenAddrs()})
	d := chunk(t, "leader", 3000)
	if r := s.Deliver(context.Background(), d); r != deliver.Delivered {
		t.Fatalf("Deliver = %v", r)
	}
	<-moved
	if after := leaders(); after == before {
		t.Fatalf("leaders did not move: %v", after)
	}
	if n := produces.Load(); n < 2 {
		t.Fatalf("%d produce requests: the move did not happen mid-chunk", n)
	}
	assertOnce(t, consumeAll(t, target{brokers: c.ListenAddrs()}, DefaultTopic, 3000), d)
}

// Retriable produce errors inside the budget: NOT_LEADER_FOR_PARTITION, and the two
// that a broker answers after it wrote the records (REQUEST_TIMED_OUT and
// NOT_ENOUGH_REPLICAS_AFTER_APPEND): the client sends the same batch again with the same
// producer id and sequence, the broker drops the copy. Also NOT_ENOUGH_REPLICAS
// (min.insync.replicas not met, nothing written). Delivered, every event exactly once.
func TestRetriableErrorsExactlyOnce(t *testing.T) {
	for _, e := range []*kerr.Error{kerr.NotLeaderForPartition, kerr.RequestTimedOut, kerr.NotEnoughReplicasAfterAppend, kerr.NotEnoughReplicas} {
		t.Run(e.Message, func(t *testing.T) {
			c := newFake(t)
			h := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: e, Count: 4})
			s := newShipper(t, Options{Brokers: c.ListenAddrs(), RetryBudget: 20 * time.Second})
			d := chunk(t, "err", 1000)
			if r := s.Deliver(context.Background(), d); r != deliver.Delivered {
				t.Fatalf("Deliver = %v", r)
			}
			if h.Hits() == 0 {
				t.Fatalf("the fault never fired")
			}
			assertOnce(t, consumeAll(t, target{brokers: c.ListenAddrs()}, DefaultTopic, 1000), d)
		})
	}
}

// min.insync.replicas not met for longer than the budget: the chunk is Retry (never
// dropped, never OK) within about the budget; once replicas are back the same chunk is
// Delivered, every event once.
func TestNotEnoughReplicasRetryThenOK(t *testing.T) {
	c := newFake(t)
	h := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.NotEnoughReplicas, Count: -1})
	log := new(recLog)
	budget := 3 * time.Second // longer than a request takes, also under -race (see TestBrokerDownMidChunkRetryThenOK)
	s := newShipper(t, Options{Brokers: c.ListenAddrs(), RetryBudget: budget, Timeout: 2 * time.Second, Logger: log})
	d := chunk(t, "isr", 600)
	start := time.Now()
	if r := s.Deliver(context.Background(), d); r != deliver.Retry {
		t.Fatalf("Deliver with replicas short = %v, want retry", r)
	}
	if el := time.Since(start); el > budget+5*time.Second {
		t.Fatalf("Deliver took %v with a %v budget", el, budget)
	}
	if st := s.Stats(); st.Retries != 600 || st.Delivered != 0 {
		t.Fatalf("stats %v", st)
	}
	if !strings.Contains(log.String(), "Retry") {
		t.Fatalf("no warning: %s", log)
	}
	h.Remove()
	deliverUntilOK(t, s, d)
	assertOnce(t, consumeAll(t, target{brokers: c.ListenAddrs()}, DefaultTopic, 600), d)
}

// The brokers stop answering (every request's connection is dropped before the broker
// acts on it) part way through a chunk: the flush returns Retry within the budget; the
// records acknowledged before are remembered, so when the brokers are back the retried
// chunk produces only the rest. Every event exactly once.
func TestBrokerDownMidChunkRetryThenOK(t *testing.T) {
	c := newFake(t)
	var down atomic.Bool
	var produces atomic.Int32
	c.Control(func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if req.Key() == int16(kmsg.Produce) && produces.Add(1) == 2 {
			down.Store(true)
		}
		if down.Load() {
			return nil, errors.New("broker down"), true
		}
		return nil, nil, false
	})
	// The budget is longer than any request takes here, also under -race: a flush whose
	// budget ends while a request is in flight fails that request's records (so that it
	// returns in time), and if the broker had written them, the retried chunk writes them
	// again — the one duplicate case the package doc names. This test is about an outage
	// that drops requests before the broker acts, where nothing may be written twice.
	// A budget shorter than the outage: the flush returns Retry at its end, the
	// records whose request may have been written stay in flight with franz-go and
	// are not produced again by the retried chunk (inflight.go).
	budget := 2 * time.Second
	log := new(recLog)
	s := newShipper(t, Options{Brokers: c.ListenAddrs(), RetryBudget: budget, Timeout: time.Second, Logger: log})
	defer func() {
		if t.Failed() {
			t.Log(log.String())
		}
	}()
	d := chunk(t, "down", 800)
	start := time.Now()
	r := s.Deliver(context.Background(), d)
	el := time.Since(start)
	if r != deliver.Retry {
		t.Fatalf("Deliver with the brokers down = %v, want retry", r)
	}
	if el > budget+5*time.Second {
		t.Fatalf("Deliver took %v with a %v budget", el, budget)
	}
	first := s.Stats()
	t.Logf("broker down: %v after %v, %d acknowledged before", r, el.Round(time.Millisecond), first.Delivered)
	if first.Delivered+first.Retries < 800 {
		t.Fatalf("stats %v: acknowledged + handed back != 800", first)
	}
	down.Store(false)
	deliverUntilOK(t, s, d)
	if st := s.Stats(); st.Skipped < first.Delivered || st.Delivered != 800 {
		t.Fatalf("stats %v: want at least %d skipped (acknowledged the first time) and 800 delivered in all", st, first.Delivered)
	}
	assertOnce(t, consumeAll(t, target{brokers: c.ListenAddrs()}, DefaultTopic, 800), d)
}

// A document over max_record_bytes is never produced: the dead-letter hook gets it with
// the reason, the rest of the chunk is Delivered; a failing hook makes the chunk Failed.
// A record the broker refuses as too large (its max.message.bytes is smaller than ours)
// is set aside the same way, at once: no loop.
func TestTooLargeSetAside(t *testing.T) {
	c := newFake(t, kfake.BrokerConfigs(map[string]string{"message.max.bytes": "3000"}))
	d := chunk(t, "big", 200)
	small := -1
	for i := 0; i < d.Len() && small < 0; i++ {
		if len(d.Doc(i)) < 1500 {
			small = i
		}
	}
	if small < 0 {
		t.Fatalf("fixtures lack a document under 1500 bytes")
	}
	// One chunk: a small document, one the broker refuses (5000 bytes, under our
	// max_record_bytes), one we refuse before producing (30000 bytes). The broker's
	// limit is per batch: the mid one goes first and alone (no linger, one in flight
	// per partition would still let it share a batch), so it is its own chunk.
	mid := new(deliver.Docs)
	mid.Append([]byte(`{"x":"`+strings.Repeat("m", 5000)+`"}`), deliver.Meta{AuditID: []byte("mid")})
	big := new(deliver.Docs)
	big.Append(d.Doc(small), deliver.Meta{AuditID: d.Key(small)})
	big.Append([]byte(`{"x":"`+strings.Repeat("h", 30000)+`"}`), deliver.Meta{AuditID: []byte("huge")})

	var mu sync.Mutex
	var reasons []string
	s := newShipper(t, Options{Brokers: c.ListenAddrs(), MaxRecordBytes: 20000, Compression: "none", DeadLetter: func(doc []byte, reason string) error {
		mu.Lock()
		reasons = append(reasons, reason)
		mu.Unlock()
		return nil
	}})
	start := time.Now()
	if r := s.Deliver(context.Background(), mid); r != deliver.Delivered {
		t.Fatalf("Deliver of the document the broker refuses = %v", r)
	}
	if r := s.Deliver(context.Background(), big); r != deliver.Delivered {
		t.Fatalf("Deliver = %v", r)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("took %v: the refused record was retried", el)
	}
	if len(reasons) != 2 || !strings.Contains(strings.Join(reasons, "|"), "max_record_bytes") || !strings.Contains(strings.Join(reasons, "|"), "MESSAGE_TOO_LARGE") {
		t.Fatalf("dead-lettered reasons %q", reasons)
	}
	if st := s.Stats(); st.DeadLettered != 2 || st.Delivered != 1 || st.DeadLetteredBy != [deliver.NumDeadLetterReasons]uint64{deliver.DeadTooLarge: 2} {
		t.Fatalf("stats %v", st)
	}
	// The same chunks again (Fluent Bit retrying them): nothing is set aside twice.
	s.Deliver(context.Background(), mid)
	s.Deliver(context.Background(), big)
	if st := s.Stats(); st.DeadLettered != 2 || len(reasons) != 2 || st.Skipped != 3 {
		t.Fatalf("after a retry of the same chunks: stats %v, %d reasons", st, len(reasons))
	}
	// Again: the broker-refused one is remembered as settled, the oversized one is
	// set aside again (it never reached the broker), nothing loops.
	s2 := newShipper(t, Options{Brokers: c.ListenAddrs(), MaxRecordBytes: 20000, DeadLetter: func([]byte, string) error { return errors.New("disk full") }})
	if r := s2.Deliver(context.Background(), big); r != deliver.Failed {
		t.Fatalf("Deliver with a failing dead letter = %v, want failed", r)
	}
}

// A topic that does not exist is configuration: Retry (never dropped) and one error line
// saying so, well before the budget ends.
func TestMissingTopicRetryLoud(t *testing.T) {
	c := newFake(t)
	log := new(recLog)
	s := newShipper(t, Options{Brokers: c.ListenAddrs(), Topic: "no-such-topic", RetryBudget: 20 * time.Second, Logger: log})
	start := time.Now()
	if r := s.Deliver(context.Background(), chunk(t, "notopic", 10)); r != deliver.Retry {
		t.Fatalf("Deliver = %v, want retry", r)
	}
	if el := time.Since(start); el > 15*time.Second {
		t.Fatalf("took %v: the missing topic waited out the budget", el)
	}
	if l := log.String(); !strings.Contains(l, "error kafka: 10 of 10") || !strings.Contains(l, "does not exist") {
		t.Fatalf("log: %s", l)
	}
}

// deliverUntilOK is Fluent Bit retrying a chunk after Retry: the client may need a moment
// to reconnect (backoff) after an outage, so a flush right after recovery may still be
// Retry; what matters is that it ends Delivered without a duplicate.
func deliverUntilOK(t *testing.T, s *Shipper, d *deliver.Docs) {
	t.Helper()
	for i := 0; i < 10; i++ {
		if r := s.Deliver(context.Background(), d); r == deliver.Delivered {
			return
		} else if r != deliver.Retry {
			t.Fatalf("Deliver after recovery = %v", r)
		}
	}
	t.Fatal("still Retry after 10 flushes once the brokers were back")
}

// The brokers answer the first produce request only after the flush's budget: the
// flush returns Retry with the records still in flight (never failed: the broker may
// have written them); the answer then arrives and the retried chunk produces nothing
// again. Every event once.
func TestLateAnswerStaysInFlight(t *testing.T) {
	c := newFake(t)
	budget := time.Second
	var first atomic.Bool
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		if first.CompareAndSwap(false, true) {
			time.Sleep(budget + time.Second) // the cluster is stalled: the write and its answer come late
		}
		return nil, nil, false
	})
	log := new(recLog)
	s := newShipper(t, Options{Brokers: c.ListenAddrs(), RetryBudget: budget, Timeout: 10 * time.Second, Logger: log})
	d := chunk(t, "late", 300)
	if r := s.Deliver(context.Background(), d); r != deliver.Retry {
		t.Fatalf("Deliver with a late answer = %v, want retry", r)
	}
	if !strings.Contains(log.String(), "300 still in flight") {
		t.Fatalf("nothing left in flight:\n%s", log)
	}
	deliverUntilOK(t, s, d)
	if st := s.Stats(); st.Delivered != 300 {
		t.Fatalf("stats %v", st)
	}
	assertOnce(t, consumeAll(t, target{brokers: c.ListenAddrs()}, DefaultTopic, 300), d)
}
