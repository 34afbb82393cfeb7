package deliver

import (
	"context"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The soak: many events through the strict double of each intake made flaky (20 % 5xx,
// 5 % connection resets mid-body, random 413s on large bodies), with a few documents the
// intake refuses for good, driven the way Fluent Bit drives the plugin: two workers, each
// chunk delivered until Deliver says Delivered, a Retry putting the chunk back at the end
// of the queue (re-read from storage: the same bytes again). At the end:
// delivered + dead-lettered = sent, no document twice, and the heap stays bounded.
//
// 10,000 events per intake always; without -short, 100,000 more into Elasticsearch (the
// intake with the most paths: per-item retries, 409s, partly done bodies).
//
//	go test -run TestSoak -v ./plugin/deliver/
func TestSoak(t *testing.T) {
	for _, name := range doubleIntakes {
		t.Run(name, func(t *testing.T) { soak(t, name, 10_000) })
	}
	if testing.Short() {
		t.Log("-short: the 100,000-event soak is skipped")
		return
	}
	t.Run("elasticsearch-100k", func(t *testing.T) { soak(t, "elasticsearch", 100_000) })
}

const (
	soakChunk   = 1000 // documents per chunk (Fluent Bit's ~2 MB chunks hold ~1,500 events)
	soakDocSize = 900
)

// soakDocs are the documents of chunk c, the same bytes every time (a chunk retried by
// Fluent Bit is read again from its storage). Every 997th document (datadog, sekoia) is
// over the intake's per-event limit; every 1,000th (elasticsearch, splunk) the intake
// refuses for good.
func soakDocs(name string, c, events int) *Docs {
	first := c * soakChunk
	n := min(soakChunk, events-first)
	d := new(Docs)
	for i := first; i < first+n; i++ {
		size := soakDocSize + (i*7919)%400
		if (name == "datadog" || name == "sekoia") && i%9973 == 500 {
			size = ddLimits.MaxDocBytes + 10
		}
		one := mkDocs(i, 1, size)
		d.Append(one.Doc(0), Meta{AuditID: one.Key(0)[:len(one.Key(0))-len("-ResponseComplete")], Stage: []byte("ResponseComplete"), Time: one.Time(0)})
	}
	return d
}

func soak(t *testing.T, name string, events int) {
	var rngMu sync.Mutex
	rng := rand.New(rand.NewPCG(42, uint64(len(name))))
	roll := func() float64 {
		rngMu.Lock()
		defer rngMu.Unlock()
		return rng.Float64()
	}
	var d *double
	refused := map[int]bool{}
	switch name {
	case "elasticsearch":
		e := newESDouble(t)
		e.item = func(id, _ int) int {
			if id%1000 == 999 {
				return 400
			}
			if roll() < 0.02 {
				return 429 // item-level back-pressure on top of the request faults
			}
			return 0
		}
		d = e.double
	case "splunk":
		sp := newSplunkDouble(t)
		sp.invalid = func(id int) bool { return id%1000 == 999 }
		d = sp.double
	default:
		d = newDoubleFor(t, name)
	}
	for id := 0; id < events; id++ {
		if (name == "elasticsearch" || name == "splunk") && id%1000 == 999 {
			refused[id] = true
		}
		if (name == "datadog" || name == "sekoia") && id%9973 == 500 {
			refused[id] = true
		}
	}
	var faults5xx, faultsReset, faults413 atomic.Int64
	d.fault = func(_ int, w http.ResponseWriter, r *http.Request) bool {
		x := roll()
		switch {
		case x < 0.20:
			faults5xx.Add(1)
			http.Error(w, `{"error":"flaky"}`, 500+int(x*100)%4)
			return true
		case x < 0.25:
			faultsReset.Add(1)
			hijackReset(w, r)
			return true
		case x < 0.33 && r.ContentLength > 1000:
			faults413.Add(1) // a proxy in front with a random body limit
			http.Error(w, `{"error":"too large"}`, http.StatusRequestEntityTooLarge)
			return true
		}
		return false
	}

	o := doubleOptions(t, name, d.URL)
	o.BatchEvents = 100 // many requests per chunk: more faults, more partly accepted chunks
	o.RetryBudget = 50 * time.Millisecond
	o.BackoffInitial, o.BackoffMax = time.Millisecond, 10*time.Millisecond
	o.Timeout = 5 * time.Second
	s := mustNew(t, o)

	// Heap sampling.
	var maxHeap atomic.Uint64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		var ms runtime.MemStats
		tick := time.NewTicker(25 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > maxHeap.Load() {
				maxHeap.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()

	// Fluent Bit: a queue of chunks, two workers, FLB_RETRY puts a chunk back.
	chunks := (events + soakChunk - 1) / soakChunk
	queue := make(chan int, chunks)
	for c := 0; c < chunks; c++ {
		queue <- c
	}
	var pending sync.WaitGroup
	pending.Add(chunks)
	var flbRetries, flushes atomic.Int64
	start := time.Now()
	for w := 0; w < 2; w++ {
		go func() {
			for c := range queue {
				flushes.Add(1)
				switch r := s.Deliver(context.Background(), soakDocs(name, c, events)); r {
				case Delivered:
					pending.Done()
				case Retry:
					flbRetries.Add(1)
					queue <- c
				default:
					t.Errorf("chunk %d: %v", c, r)
					pending.Done()
				}
			}
		}()
	}
	pending.Wait()
	close(queue)
	elapsed := time.Since(start)
	close(stop)
	sampler.Wait()

	// The books.
	dead := map[int]int{}
	if _, err := os.Stat(o.DeadLetterFile); err == nil {
		for _, m := range readDeadLetters(t, o.DeadLetterFile) {
			doc := m["document"].(map[string]any)
			dead[int(doc["id"].(float64))]++
		}
	}
	d.mu.Lock()
	delivered, duplicates, both, deadDup := 0, 0, 0, 0
	for id, n := range d.accepted {
		delivered++
		duplicates += n - 1
		if dead[id] > 0 {
			both++
		}
	}
	d.mu.Unlock()
	for id, n := range dead {
		deadDup += n - 1
		if !refused[id] {
			t.Errorf("document %d dead-lettered but the intake never refused it for good", id)
		}
	}
	st := s.Stats()
	t.Logf("soak %s: sent=%d delivered=%d dead_lettered=%d duplicates=%d (dead-letter duplicates %d, both %d) | chunks=%d flushes=%d flb_retries=%d | faults 5xx=%d resets=%d 413=%d | max_heap=%.1f MiB | %s | %s",
		name, events, delivered, len(dead), duplicates, deadDup, both, chunks, flushes.Load(), flbRetries.Load(),
		faults5xx.Load(), faultsReset.Load(), faults413.Load(), float64(maxHeap.Load())/(1<<20), elapsed.Round(time.Millisecond), st)
	if delivered+len(dead) != events || duplicates != 0 || deadDup != 0 || both != 0 || len(dead) != len(refused) {
		t.Errorf("books do not balance: sent %d, delivered %d + dead-lettered %d (want %d refused), duplicates %d", events, delivered, len(dead), len(refused), duplicates)
	}
	if maxHeap.Load() > 256<<20 {
		t.Errorf("heap reached %d MiB", maxHeap.Load()>>20)
	}
}
