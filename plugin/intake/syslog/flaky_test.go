package syslog

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/k8saudit/k8saudit/normalize"
	"github.com/k8saudit/k8saudit/plugin/deliver"
	"github.com/valyala/fastjson"
)

// seqDocs returns n real ECS documents (normalized audit events) of 1 to 3 KB with
// the auditIDs ev-00000… so that a receiver can tell which arrived.
func seqDocs(t *testing.T, n int) [][]byte {
	t.Helper()
	nz := normalize.New(normalize.Options{Format: normalize.ECS})
	out := make([][]byte, n)
	for i := range out {
		ev := fmt.Sprintf(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"ev-%05d","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/configmaps","verb":"create","user":{"username":"alice"},"objectRef":{"resource":"configmaps","namespace":"default","name":"c"},"responseStatus":{"code":201},"requestObject":{"data":{"k":%q}},"stageTimestamp":"2025-03-04T06:22:18.822532Z"}`,
			i, strings.Repeat("v", 1000+(i*37)%2000))
		d := nz.Normalize([]byte(ev), 1)
		if len(d) != 1 {
			t.Fatalf("event %d: %d documents", i, len(d))
		}
		out[i] = bytes.Clone(d[0].JSON)
	}
	return out
}

// flaky is a scripted syslog receiver (octet counting): it reads slowly, with a small
// socket buffer, may stall, and resets the connection (RST, SO_LINGER 0) when it first
// reads the message of a scripted event, discarding that message and everything after
// it that it had not processed, as a crashing or restarting receiver does.
type flaky struct {
	l       net.Listener
	tlsCfg  *tls.Config           // serve TLS when set
	resetAt map[int]bool          // event index → reset on its first sighting
	stall   map[int]time.Duration // event index → pause before reading on (once)
	closeAt map[int]bool          // event index → close cleanly (FIN) once it is processed

	mu     sync.Mutex
	got    map[int]int // event index → times received whole
	bad    []string
	resets int
	conns  int
}

var auditIDParam = regexp.MustCompile(`auditID="ev-(\d+)"`)

func newFlaky(t *testing.T) *flaky {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		_ = c.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return err
	}}
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &flaky{l: l, got: map[int]int{}, resetAt: map[int]bool{}, stall: map[int]time.Duration{}, closeAt: map[int]bool{}}
	t.Cleanup(func() { l.Close() })
	return f
}

func (f *flaky) serve() {
	for {
		c, err := f.l.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns++
		f.mu.Unlock()
		tc := c.(*net.TCPConn)
		if f.tlsCfg != nil {
			c = tls.Server(c, f.tlsCfg)
		}
		f.handle(c, tc) // one connection at a time, like the sender
	}
}

func (f *flaky) handle(c net.Conn, tc *net.TCPConn) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 4096)
	for {
		lenText, err := r.ReadString(' ')
		if err != nil {
			return
		}
		n, err := strconv.Atoi(strings.TrimSuffix(lenText, " "))
		if err != nil || n <= 0 || n > 1<<20 {
			f.fail("bad frame length %q", lenText)
			return
		}
		msg := make([]byte, n)
		if _, err := io.ReadFull(r, msg); err != nil {
			return // the sender gave up this connection mid-frame: the part is discarded
		}
		m := auditIDParam.FindSubmatch(msg)
		if m == nil {
			f.fail("no auditID in %.100s", msg)
			return
		}
		idx, _ := strconv.Atoi(string(m[1]))
		f.mu.Lock()
		reset := f.resetAt[idx]
		delete(f.resetAt, idx)
		stall := f.stall[idx]
		delete(f.stall, idx)
		if reset {
			f.resets++
		}
		f.mu.Unlock()
		if reset {
			_ = tc.SetLinger(0) // close with RST: unread data is dropped
			_ = tc.Close()
			return
		}
		time.Sleep(stall + 50*time.Microsecond) // slow
		body := msg[bytes.Index(msg, []byte("] "))+2:]
		if err := fastjson.ValidateBytes(body); err != nil {
			f.fail("event %d arrived damaged: %v", idx, err)
		}
		f.mu.Lock()
		f.got[idx]++
		closeNow := f.closeAt[idx]
		delete(f.closeAt, idx)
		f.mu.Unlock()
		if closeNow {
			return // a clean close, as a receiver that ends idle sessions does
		}
	}
}

func (f *flaky) fail(format string, args ...any) {
	f.mu.Lock()
	f.bad = append(f.bad, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}

// run ships docs in chunks of 40 and returns the receiver's view once it has read all.
func (f *flaky) run(t *testing.T, docs [][]byte, o Options) *Shipper {
	t.Helper()
	go f.serve() // after the script is set: the server reads it without a lock
	o.Address = f.l.Addr().String()
	sh, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sh.Close() })
	for i := 0; i < len(docs); i += 40 {
		if r := sh.Deliver(context.Background(), toDocsFrom(docs[i:min(i+40, len(docs))], i)); r != deliver.Delivered {
			t.Fatalf("chunk at %d: %v", i, r)
		}
	}
	// Delivered waited for the receiver's acknowledgements; give its slow reader the
	// time to read what its buffer still holds.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		f.mu.Lock()
		n := len(f.got)
		f.mu.Unlock()
		if n == len(docs) {
			break
		}
	}
	time.Sleep(100 * time.Millisecond) // and a little more: a late duplicate would show
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range f.bad {
		t.Error(b)
	}
	return sh
}

// TestFlakyReceiverResets: a receiver that resets the connection five times, in the
// middle of chunks and at a chunk's first message, while reading slowly: every event
// arrives whole, none is lost; the duplicates are the messages sent again after a
// reset, no more than Counters.MaybeDupDocs says, each with its auditID for dedup.
func TestFlakyReceiverResets(t *testing.T) {
	docs := seqDocs(t, 400)
	f := newFlaky(t)
	for _, i := range []int{5, 83, 130, 240, 285} {
		f.resetAt[i] = true
	}
	sh := f.run(t, docs, Options{Timeout: 3 * time.Second, RetryBudget: 30 * time.Second, Hostname: "node-1"})
	f.mu.Lock()
	defer f.mu.Unlock()
	dups := 0
	for i := range docs {
		switch n := f.got[i]; {
		case n == 0:
			t.Errorf("event %d lost", i)
		case n > 1:
			dups += n - 1
		}
	}
	c := sh.Counters()
	t.Logf("resets %d, connections %d, duplicates received %d, counters %+v, stats %+v", f.resets, f.conns, dups, c, sh.Stats())
	if f.resets != 5 || len(f.resetAt) != 0 {
		t.Fatalf("%d resets happened, want 5", f.resets)
	}
	if uint64(dups) > c.MaybeDupDocs {
		t.Fatalf("%d duplicates received, more than the %d counted as possible", dups, c.MaybeDupDocs)
	}
	if c.Failures < 5 || sh.Stats().Delivered != uint64(len(docs)) {
		t.Fatalf("counters %+v, stats %+v", c, sh.Stats())
	}
}

// TestSlowReceiverNoResend: a receiver that stalls twice for longer than half the
// timeout, and reads slowly otherwise, gets every event exactly once over one
// connection: slowness is waited for, never taken for a failure.
func TestSlowReceiverNoResend(t *testing.T) {
	docs := seqDocs(t, 200)
	f := newFlaky(t)
	f.stall[20] = 1500 * time.Millisecond
	f.stall[150] = 1500 * time.Millisecond
	sh := f.run(t, docs, Options{Timeout: 2 * time.Second, Hostname: "node-1"})
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range docs {
		if f.got[i] != 1 {
			t.Errorf("event %d received %d times", i, f.got[i])
		}
	}
	if c := sh.Counters(); c.MaybeDupDocs != 0 || c.Connects != 1 || f.conns != 1 {
		t.Fatalf("counters %+v, %d connections", c, f.conns)
	}
}

// TestReceiverClosesIdleConnection: a receiver that ends the session cleanly after the
// last message of a chunk gets the next chunk on a new connection, with nothing sent
// twice: a clean end after every acknowledgement is not a failure.
func TestReceiverClosesIdleConnection(t *testing.T) {
	docs := seqDocs(t, 120)
	f := newFlaky(t)
	f.closeAt[39] = true
	f.closeAt[79] = true
	sh := f.run(t, docs, Options{Timeout: 2 * time.Second, Hostname: "node-1"})
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range docs {
		if f.got[i] != 1 {
			t.Errorf("event %d received %d times", i, f.got[i])
		}
	}
	// Under load the receiver's close can reach the sender before the last
	// acknowledgement is read: it is then a failure, counted as possible duplicates and
	// resent on a fourth connection. What is received stays exactly once (above).
	if c := sh.Counters(); (c.MaybeDupDocs != 0 || c.Connects != 3 || f.conns != 3) && c.Failures == 0 {
		t.Fatalf("counters %+v, %d connections", c, f.conns)
	}
}

// TestFlakyReceiverResetsTLS: the same resets over TLS: nothing lost, duplicates
// bounded by the count.
func TestFlakyReceiverResetsTLS(t *testing.T) {
	files := makeCA(t)
	crt, err := tls.LoadX509KeyPair(files[1], files[2])
	if err != nil {
		t.Fatal(err)
	}
	docs := seqDocs(t, 200)
	f := newFlaky(t)
	f.tlsCfg = &tls.Config{Certificates: []tls.Certificate{crt}}
	f.resetAt[3] = true
	f.resetAt[85] = true
	f.resetAt[161] = true
	sh := f.run(t, docs, Options{Transport: "tls", TLSCAFile: files[0], Timeout: 3 * time.Second, RetryBudget: 30 * time.Second, Hostname: "node-1"})
	f.mu.Lock()
	defer f.mu.Unlock()
	dups := 0
	for i := range docs {
		switch n := f.got[i]; {
		case n == 0:
			t.Errorf("event %d lost", i)
		case n > 1:
			dups += n - 1
		}
	}
	c := sh.Counters()
	t.Logf("resets %d, connections %d, duplicates received %d, counters %+v", f.resets, f.conns, dups, c)
	if f.resets != 3 || uint64(dups) > c.MaybeDupDocs || c.Failures < 3 {
		t.Fatalf("resets %d, duplicates %d, counters %+v", f.resets, dups, c)
	}
}
