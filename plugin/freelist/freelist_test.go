package freelist

import (
	"runtime"
	"sync"
	"testing"
)

func TestReusesAndBounds(t *testing.T) {
	made := 0
	l := New(2, func() *int { made++; v := made; return &v })
	a, b, c := l.Get(), l.Get(), l.Get()
	if made != 3 {
		t.Fatalf("made %d, want 3", made)
	}
	l.Put(a)
	l.Put(b)
	l.Put(c) // over the bound: dropped
	if x := l.Get(); x != b {
		t.Errorf("LIFO: got %d, want %d", *x, *b)
	}
	if x := l.Get(); x != a {
		t.Errorf("got %d, want %d", *x, *a)
	}
	if l.Get(); made != 4 {
		t.Errorf("an empty list must make a new object (made %d)", made)
	}
}

func TestSurvivesGC(t *testing.T) {
	l := New(1, func() *[]byte { b := make([]byte, 1<<20); return &b })
	x := l.Get()
	l.Put(x)
	runtime.GC()
	runtime.GC()
	if l.Get() != x {
		t.Error("the idle object was lost across garbage collections")
	}
}

func TestNoAllocationsInSteadyState(t *testing.T) {
	l := New(4, func() *int { return new(int) })
	l.Put(l.Get())
	if n := testing.AllocsPerRun(100, func() { l.Put(l.Get()) }); n != 0 {
		t.Errorf("%.1f allocations per get/put", n)
	}
}

func TestConcurrent(t *testing.T) {
	l := New(3, func() *int { return new(int) })
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 1000; j++ {
				x := l.Get()
				*x++
				l.Put(x)
			}
		}()
	}
	wg.Wait()
}
